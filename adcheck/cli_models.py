"""Command line for the labeling loop: feedback collect, retrain, suggest, models list/diff/promote.

`register(app, models_app)` adds the commands to the main Typer app (see adcheck.cli).
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from adcheck.errors import AdcheckError


class Prefer(str, Enum):
    new = "new"
    base = "base"


class Baseline(str, Enum):
    auto = "auto"
    parent = "parent"
    refit = "refit"


class GateMetric(str, Enum):
    pr_auc = "pr_auc"
    roc_auc = "roc_auc"
    f1 = "f1"
    precision = "precision"
    recall = "recall"


class ListFormat(str, Enum):
    table = "table"
    json = "json"


ModelsDirOption = Annotated[
    Path | None,
    typer.Option("--models-dir", help="Models directory (default: $ADCHECK_MODELS_DIR or ./models).", file_okay=False),
]


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _fail(exc: AdcheckError) -> typer.Exit:
    _err(f"Error: {exc}")
    return typer.Exit(exc.exit_code)


def _fmt(value) -> str:
    from adcheck.card import format_value

    return format_value(value, missing="-")


def feedback_collect(
    files: Annotated[list[Path], typer.Argument(help="Reviewed outputs: batch results, review CSV/JSON/JSONL, suggest files.", dir_okay=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Labeled file to write (.csv or .jsonl, corpus schema + provenance).", dir_okay=False)],
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing --out file.")] = False,
) -> None:
    """Turn reviewed rows (review_label filled) into labeled examples in the corpus schema.

    Example: adcheck feedback collect scored.csv review.json --out new_labels.csv
    """
    from adcheck.feedback import collect_feedback, write_feedback

    try:
        result = collect_feedback(list(files))
        write_feedback(result.rows, out, overwrite=overwrite)
    except AdcheckError as exc:
        raise _fail(exc) from None
    labels = {"misleading": 0, "acceptable": 0}
    for row in result.rows:
        labels[row["label"]] += 1
    from_model = sum(1 for r in result.rows if r["categories_from"] == "model")
    _err(f"{result.reviewed} reviewed row(s) in {len(files)} file(s) ({result.unreviewed} not reviewed): wrote {len(result.rows)} "
         f"labeled row(s) to {out} (misleading {labels['misleading']}, acceptable {labels['acceptable']})")
    if result.merged_duplicates:
        _err(f"  {len(result.merged_duplicates)} repeated text(s) with the same label kept once")
    if from_model:
        _err(f"  {from_model} misleading row(s) took the model's flagged categories (no review_categories given)")
    _err(f"next: adcheck retrain --base MODEL --add {out} --out models/NEW")


def retrain_command(
    base: Annotated[Path | None, typer.Option("--base", help="Base model folder (default: the current default model).", file_okay=False)] = None,
    add: Annotated[list[Path] | None, typer.Option("--add", help="New labeled file in the corpus schema (repeatable).", dir_okay=False)] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="New model folder to write.", file_okay=False)] = None,
    prefer: Annotated[Prefer | None, typer.Option("--prefer", help="Which side wins when a text is labeled both ways (default: stop).")] = None,
    metric: Annotated[GateMetric, typer.Option("--metric", help="Metric the regression gate watches.")] = GateMetric.pr_auc,
    tolerance: Annotated[float, typer.Option("--tolerance", min=0.0, max=1.0, help="Largest drop of the metric allowed.")] = 0.01,
    allow_regression: Annotated[bool, typer.Option("--allow-regression", help="Write the model even if the gate fails (recorded in metadata and card).")] = False,
    baseline: Annotated[Baseline, typer.Option("--baseline", help="Compare with the parent, or with the parent's configuration refit without the frozen groups (auto: refit when the parent saw them).")] = Baseline.auto,
    name: Annotated[str | None, typer.Option("--name", help="Model name (default: the base model's).")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing --out folder.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the comparison and the result on stderr.")] = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=0, help="Training threads (0: all cores); the model is the same for any number.")] = 0,
    checkpoint: Annotated[
        Path | None, typer.Option("--checkpoint", help="Keep each cross-validation fold's and held-out source's predictions in this folder; a stopped retrain started again with the same inputs resumes there.", file_okay=False)
    ] = None,
    source_sets: Annotated[
        int | None, typer.Option("--source-sets", min=0, help="Hold the sources out in this many sets, each set in turn (0: one source at a time; default: as the base model did).")
    ] = None,
) -> None:
    """Add new labels to a model's corpus, retrain with its configuration, and gate on regressions.

    Example: adcheck retrain --base models/v1 --add new_labels.csv --out models/v2
    """
    from adcheck.registry import resolve_default_model_dir
    from adcheck.retrain import RetrainOptions, format_comparison, retrain
    from adcheck.training import across_sources_summary

    if not add or out is None:
        _err("Error: retrain needs --add FILE and --out MODEL_DIR")
        raise typer.Exit(2)
    base_dir = base or resolve_default_model_dir()
    options = RetrainOptions(
        base=base_dir, add=list(add), out=out, prefer=prefer.value if prefer else None, metric=metric.value,
        tolerance=tolerance, allow_regression=allow_regression, baseline=baseline.value, overwrite=overwrite, name=name,
        jobs=jobs, checkpoint=checkpoint, source_sets=source_sets,
    )
    _err(f"base model: {base_dir}")
    try:
        result = retrain(options, progress=None if quiet else _err)
    except AdcheckError as exc:
        raise _fail(exc) from None
    except KeyboardInterrupt:
        _err("\nInterrupted: no model folder was written; the previous default is unchanged.")
        raise typer.Exit(130) from None
    if quiet:
        _err(format_comparison(result.report))
    meta = result.model.metadata
    gate = meta["retrain"]["gate"]
    if gate["overridden"]:
        _err(f"WARNING: the regression gate failed on {gate['metric']} and was overridden with --allow-regression "
             "(recorded in metadata.json and MODEL_CARD.md)")
    summary = across_sources_summary(meta["cv"]["report"])
    if summary:
        _err(summary)
    _err(f"wrote {out} ({meta['model_id']}, parent {meta['parent']['model_id']}): +{meta['retrain']['added_rows']} row(s); "
         f"promote it with: adcheck models promote {out}")


def suggest_command(
    inputs: Annotated[list[Path], typer.Option("--input", "-i", help="Unlabeled texts: file, folder or zip/tar archive (repeatable).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Review file to write (.csv).", dir_okay=False)],
    n: Annotated[int, typer.Option("--n", min=1, help="How many texts to suggest.")] = 200,
    model_dir: Annotated[Path | None, typer.Option("--model", "-m", help="Model folder (default: the current default model).", file_okay=False)] = None,
    text_cols: Annotated[list[str] | None, typer.Option("--text-col", help="Column(s) holding the text (default: text).")] = None,
    id_col: Annotated[str | None, typer.Option("--id-col", help="Column holding a row id (else file:row).")] = None,
    include_labeled: Annotated[bool, typer.Option("--include-labeled", help="Also suggest texts already in the model's training data.")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing --out file.")] = False,
) -> None:
    """Pick the unlabeled texts whose labels would help the model most.

    Most uncertain first, near duplicates collapsed, spread across languages and likely categories.
    Example: adcheck suggest --input archive.zip --n 200 --out to_label.csv
    """
    from adcheck.artifacts import load_model
    from adcheck.registry import resolve_default_model_dir
    from adcheck.suggest import read_unlabeled, suggest, training_keys, write_suggestions

    try:
        path = model_dir or resolve_default_model_dir()
        model = load_model(path)
        records, skipped = read_unlabeled(list(inputs), list(text_cols or ["text"]), id_col)
        exclude = set() if include_labeled else training_keys(model.metadata)
        picks = suggest(
            model, [r.text for r in records], n, ids=[r.id for r in records], sources=[r.source for r in records],
            positions=[r.position for r in records], exclude_keys=exclude,
        )
        write_suggestions(picks, out, model.model_id, overwrite=overwrite)
    except AdcheckError as exc:
        raise _fail(exc) from None
    _err(f"model {model.model_id} ({path})")
    langs: dict[str, int] = {}
    for p in picks:
        langs[p.lang] = langs.get(p.lang, 0) + 1
    _err(f"{len(records):,} text(s) read ({len(skipped)} skipped): wrote {len(picks)} suggestion(s) to {out} "
         f"(languages: {', '.join(f'{k} {v}' for k, v in sorted(langs.items())) or '-'}); "
         f"fill review_label, then: adcheck feedback collect {out} --out new_labels.csv")


def models_list(
    root: ModelsDirOption = None,
    output_format: Annotated[ListFormat, typer.Option("--format", "-f", help="table or json.")] = ListFormat.table,
) -> None:
    """List the model folders of a models directory: lineage, data counts, metrics, hashes, default.

    Example: adcheck models list --models-dir models
    """
    from adcheck.registry import list_models, read_pointer, resolve_default_model_dir

    try:
        entries = list_models(root)
        pointer = read_pointer(root)
    except AdcheckError as exc:
        raise _fail(exc) from None
    if output_format is ListFormat.json:
        typer.echo(json.dumps({"default": str(resolve_default_model_dir(root)), "pointer": pointer,
                               "models": [e.to_dict() for e in entries]}, ensure_ascii=False, indent=2))
        return
    typer.echo(f"{'':2}{'model id':<34}{'parent':<34}{'rows':>7}{'added':>7}{'cv PR-AUC':>10}{'frozen PR-AUC':>14}  {'gate':<12}{'sha256':<14}path")
    for e in entries:
        if e.problem:
            typer.echo(f"{'!':2}{'BROKEN':<34}{'':<34}{'':>7}{'':>7}{'':>10}{'':>14}  {'':<12}{'':<14}{e.path}: {e.problem}")
            continue
        mark = "* " if e.is_default else "  "
        typer.echo(f"{mark}{_fmt(e.model_id):<34}{_fmt(e.parent):<34}{_fmt(e.rows):>7}{_fmt(e.added_rows):>7}"
                   f"{_fmt(e.metrics.get('cv_pr_auc')):>10}{_fmt(e.metrics.get('frozen_pr_auc')):>14}  {_fmt(e.gate):<12}"
                   f"{(e.sha256 or '')[:12]:<14}{e.path}")
    default = resolve_default_model_dir(root)
    _err(f"default model: {default}" + ("" if any(e.is_default for e in entries) else " (no verified promotion pointer)"))


def models_diff(
    old: Annotated[Path, typer.Argument(help="The earlier model folder (e.g. the parent).", file_okay=False)],
    new: Annotated[Path, typer.Argument(help="The later model folder.", file_okay=False)],
    top: Annotated[int, typer.Option("--top", min=1, max=500, help="How many n-grams to show.")] = 15,
    output_format: Annotated[ListFormat, typer.Option("--format", "-f", help="table or json.")] = ListFormat.table,
) -> None:
    """Show metric changes and the n-grams whose risk weights changed most between two models.

    Example: adcheck models diff models/v1 models/v2
    """
    from adcheck.registry import diff_models

    try:
        diff = diff_models(old, new, top=top)
    except AdcheckError as exc:
        raise _fail(exc) from None
    if output_format is ListFormat.json:
        typer.echo(json.dumps(diff, ensure_ascii=False, indent=2))
        return
    typer.echo(f"{diff['old']} -> {diff['new']}")
    typer.echo(f"{'metric':<26}{'old':>9}{'new':>9}{'change':>11}")
    for m in diff["metrics"]:
        if m["change"] is None:
            change = "-"
        elif isinstance(m["change"], int):
            change = f"{m['change']:+d}"
        else:
            change = f"{m['change']:+.4f}"
        typer.echo(f"{m['metric']:<26}{_fmt(m['old']):>9}{_fmt(m['new']):>9}{change:>11}")
    typer.echo("")
    typer.echo(f"{'n-gram (risk weight)':<32}{'old':>9}{'new':>9}{'change':>9}  status")
    for g in diff["ngrams"]:
        typer.echo(f"{g['ngram'][:31]:<32}{g['old']:>9.3f}{g['new']:>9.3f}{g['change']:>+9.3f}  {g['status']}")
    if diff["note"]:
        _err(diff["note"])


def models_promote(
    model_dir: Annotated[Path, typer.Argument(help="Model folder to make the default for score and review.", file_okay=False)],
    root: ModelsDirOption = None,
) -> None:
    """Make a verified model folder the default (writes MODELS_DIR/DEFAULT atomically).

    Example: adcheck models promote models/v2
    """
    from adcheck.registry import pointer_path, promote

    try:
        pointer = promote(model_dir, root)
    except AdcheckError as exc:
        raise _fail(exc) from None
    _err(f"promoted {pointer['model_id']} ({model_dir}, sha256 {pointer['sha256'][:12]}...): wrote {pointer_path(root)}")


def register(app: typer.Typer, models_app: typer.Typer) -> None:
    """Add feedback, retrain and suggest to `app`, and list, diff and promote to `models_app`."""
    feedback_app = typer.Typer(no_args_is_help=True, help="Turn reviewed outputs into labeled examples.")
    feedback_app.command("collect")(feedback_collect)
    app.add_typer(feedback_app, name="feedback")
    app.command("retrain")(retrain_command)
    app.command("suggest")(suggest_command)
    models_app.command("list")(models_list)
    models_app.command("diff")(models_diff)
    models_app.command("promote")(models_promote)
