import json
import os
import re
import sys
from dataclasses import replace

import numpy as np
import pytest

from adcheck.errors import InputDataError, TrainingError
from adcheck.evaluation import binary_metrics
from adcheck.readers import LabeledData
import adcheck.training as training
from adcheck.training import TrainConfig, grouped_folds, train


def _data(rows):
    return LabeledData(
        texts=[r["text"] for r in rows],
        labels=np.asarray([r["label"] == "misleading" for r in rows]),
        groups=np.asarray([r["group"] for r in rows]),
        languages=np.asarray([r["lang"] for r in rows]),
        categories=[[c for c in r["categories"].split(";") if c] for r in rows],
    )


def test_grouped_folds_never_split_a_group(sample_rows):
    data = _data(sample_rows)
    for train_rows, test_rows in grouped_folds(data.labels, data.groups, 5, 1):
        assert not set(data.groups[train_rows]) & set(data.groups[test_rows])


def test_training_is_deterministic(sample_rows):
    data = _data(sample_rows[:300])
    config = TrainConfig(c_values=(4.0,), n_folds=3, seed=3)
    first = train(data, config).model
    second = train(data, config).model
    texts = [r["text"] for r in sample_rows[300:360]]
    assert np.array_equal(first.predict_proba(texts), second.predict_proba(texts))
    assert first.band_thresholds == second.band_thresholds


def test_bands_are_ordered_and_cv_report_has_slices(tiny_model):
    meta = tiny_model.metadata
    bands = meta["thresholds"]["bands"]
    assert 0 < bands["medium"] <= bands["high"] < 1
    report = meta["cv"]["report"]
    assert set(report["by_language"]) >= {"ko", "en"}
    assert "category_macro_f1" in report
    assert all(c["C"] in (4.0, 16.0) for c in meta["cv"]["candidates"])


def test_one_class_is_refused(sample_rows):
    rows = [r for r in sample_rows if r["label"] == "acceptable"][:50]
    with pytest.raises(TrainingError, match="one class"):
        train(_data(rows))


def test_one_class_file_is_refused_by_the_reader(tmp_path):
    from adcheck.readers import load_labeled

    path = tmp_path / "one.csv"
    path.write_text("text,label\nhello,misleading\nworld,misleading\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="one class"):
        load_labeled([path], negative=["acceptable"])


def test_nb_scaling_is_folded_into_the_weights(sample_rows):
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    from adcheck.features import FeatureSpec, Vocabulary, extract_occurrences
    from adcheck.training import _fit_head, log_count_ratio

    data = _data(sample_rows)
    occurrences = extract_occurrences(data.texts, FeatureSpec())
    matrix = Vocabulary.fit(occurrences, FeatureSpec()).transform(occurrences)
    y = data.labels.astype(bool)
    ratio = log_count_ratio(matrix, y, 1.0)
    present = (matrix > 0).toarray()
    # a feature seen only in misleading rows leans positive, one seen only in acceptable rows negative
    assert (ratio[present[y].any(axis=0) & ~present[~y].any(axis=0)] > 0).all()
    assert (ratio[~present[y].any(axis=0) & present[~y].any(axis=0)] < 0).all()
    head = _fit_head(matrix, y, 4.0, 13, nb_alpha=1.0)
    scaled = LogisticRegression(C=4.0, solver="liblinear", random_state=13, max_iter=2000).fit(matrix @ sparse.diags(ratio), y.astype(int))
    # the stored weights are the scaled model's, folded: x·(r∘w) + b == (x∘r)·w + b (float32 storage)
    assert np.allclose(head.decision(matrix), scaled.decision_function(matrix @ sparse.diags(ratio)), atol=1e-4)
    assert not np.allclose(head.coef, _fit_head(matrix, y, 4.0, 13).coef)


def test_category_heads_use_the_dual_solver_which_reaches_the_primal_optimum(sample_rows):
    from sklearn.metrics import roc_auc_score

    from adcheck.features import FeatureSpec, Vocabulary, extract_occurrences
    from adcheck.training import _fit_category_head, _fit_head, _sigmoid

    data = _data(sample_rows)
    occurrences = extract_occurrences(data.texts, FeatureSpec())
    matrix = Vocabulary.fit(occurrences, FeatureSpec()).transform(occurrences)
    y = data.labels.astype(bool)
    config = TrainConfig(nb_alpha=1.0)
    head = _fit_category_head(matrix, y, 4.0, config)
    dual = _fit_head(matrix, y, 4.0, config.seed, config.nb_alpha, config.category_weights, dual=True, precision=np.float16)
    primal = _fit_head(matrix, y, 4.0, config.seed, config.nb_alpha, config.category_weights, precision=np.float16)
    assert np.array_equal(head.coef, dual.coef) and head.intercept == dual.intercept
    # category heads are rounded to float16; a fit at the default precision (the risk head's) to float32
    assert np.array_equal(head.coef.astype(np.float16).astype(np.float64), head.coef)
    primal32 = _fit_head(matrix, y, 4.0, config.seed, config.nb_alpha, config.category_weights)
    assert not np.array_equal(primal32.coef.astype(np.float16).astype(np.float64), primal32.coef)
    assert not np.array_equal(dual.coef, primal.coef)
    # the two solvers minimise the same loss: the same probabilities to a small tolerance, the same ranking
    assert np.abs(_sigmoid(dual.decision(matrix)) - _sigmoid(primal.decision(matrix))).max() < 0.02
    assert roc_auc_score(y, dual.decision(matrix)) == pytest.approx(roc_auc_score(y, primal.decision(matrix)), abs=1e-3)


def test_nb_alpha_is_recorded_and_reused_by_retrain(sample_rows):
    from adcheck.retrain import _config_from_metadata

    result = train(_data(sample_rows), TrainConfig(c_values=(4.0,), n_folds=3, nb_alpha=0.5))
    assert result.chosen["nb_alpha"] == 0.5
    meta = {"hyperparameters": {**result.chosen, "search": TrainConfig(c_values=(4.0,), n_folds=3, nb_alpha=0.5).to_dict()}}
    assert _config_from_metadata(meta).nb_alpha == 0.5
    del meta["hyperparameters"]["search"]["nb_alpha"]  # a model trained before the option existed
    assert _config_from_metadata(meta).nb_alpha is None


def _write_sources(tmp_path, rows, n_sources):
    """The rows split by group into `n_sources` folders of one file each."""
    import json
    import zlib

    paths = []
    for k in range(n_sources):
        folder = tmp_path / f"writer{k}"
        folder.mkdir(parents=True)
        path = folder / "batch.jsonl"
        chosen = [r for r in rows if zlib.crc32(r["group"].encode()) % n_sources == k]
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in chosen), encoding="utf-8")
        paths.append(path)
    return paths


def test_each_source_folder_is_held_out_and_scored_by_a_model_without_it(tmp_path, sample_rows, monkeypatch):
    from adcheck.features import Vocabulary, extract_occurrences
    from adcheck.readers import load_labeled
    from adcheck.training import _fit_head, _sigmoid, source_units

    monkeypatch.chdir(tmp_path)
    paths = _write_sources(tmp_path, sample_rows, 3)
    data = load_labeled(paths, group_col="group", negative=["acceptable"])
    units = source_units(data, "folder")
    # shown relative to the working directory, never as machine-specific absolute paths
    assert sorted(set(units.tolist())) == ["writer0", "writer1", "writer2"]
    assert (units == "writer0").sum() == len(paths[0].read_text(encoding="utf-8").splitlines())
    config = TrainConfig(c_values=(4.0,), n_folds=3, source_holdout="folder")
    result = train(data, config)
    across = result.cv_report["across_sources"]
    assert across["unit"] == "folder" and across["sources"] == 3
    assert across["overall"]["n"] == len(data)
    assert set(across["by_source"]) == {"writer0", "writer1", "writer2"}
    assert set(across["by_language"]) >= {"ko", "en"}
    assert "category_macro_f1" in across
    # the heads also name the categories of the held-out texts known to be misleading
    given = across["category_given_misleading"]
    assert 0.0 < given["macro_f1"] <= 1.0
    assert {m["n"] for m in given["by_category"].values()} == {int(data.labels.sum())}
    # judged at the medium band that grouped CV chose, as the shipped model would be
    assert across["overall"]["threshold"] == result.cv_report["overall"]["threshold"]
    # writer1's figures are exactly those of a model fitted from scratch without writer1's texts
    held = units == "writer1"
    train_rows = np.flatnonzero(~held)
    occurrences = extract_occurrences(data.texts, config.feature_specs[0])
    matrix = Vocabulary.fit(occurrences, config.feature_specs[0], rows=train_rows).transform(occurrences)
    risk = _sigmoid(_fit_head(matrix[train_rows], data.labels[train_rows], 4.0, config.seed).decision(matrix[held]))
    expected = binary_metrics(data.labels[held], risk, across["overall"]["threshold"])
    assert across["by_source"]["writer1"] == expected


def test_a_group_spanning_sources_leaves_training_with_the_held_out_source(tmp_path, sample_rows):
    import json

    from adcheck.features import Vocabulary, extract_occurrences
    from adcheck.readers import load_labeled
    from adcheck.training import _fit_head, _sigmoid, source_units

    paths = _write_sources(tmp_path, sample_rows, 2)
    # near-duplicate variants of 40 texts of the first file, in their groups, in the second file
    variants = [json.loads(line) for line in paths[0].read_text(encoding="utf-8").splitlines()[:40]]
    with paths[1].open("a", encoding="utf-8") as f:
        for row in variants:
            f.write(json.dumps({**row, "id": row["id"] + "-v", "text": row["text"] + " !!"}, ensure_ascii=False) + "\n")
    data = load_labeled(paths, group_col="group", negative=["acceptable"])
    units = source_units(data, "file")
    config = TrainConfig(c_values=(4.0,), n_folds=3, source_holdout="file")
    across = train(data, config).cv_report["across_sources"]
    held = units == units[0]
    occurrences = extract_occurrences(data.texts, config.feature_specs[0])

    def held_out_metrics(train_mask):
        rows = np.flatnonzero(train_mask)
        matrix = Vocabulary.fit(occurrences, config.feature_specs[0], rows=rows).transform(occurrences)
        risk = _sigmoid(_fit_head(matrix[rows], data.labels[rows], 4.0, config.seed).decision(matrix[held]))
        return binary_metrics(data.labels[held], risk, across["overall"]["threshold"])

    shares_a_group = np.isin(data.groups, data.groups[held])
    # the reported figures are those of a model that saw neither the file nor the variants ...
    assert across["by_source"][units[0]] == held_out_metrics(~held & ~shares_a_group)
    # ... and training on the variants would have given other (flattering) figures
    assert across["by_source"][units[0]] != held_out_metrics(~held)


def test_a_source_whose_removal_leaves_one_class_is_skipped_and_named(tmp_path, sample_rows, monkeypatch):
    import json

    from adcheck.readers import load_labeled

    monkeypatch.chdir(tmp_path)
    paths = _write_sources(tmp_path, [r for r in sample_rows if r["label"] == "acceptable"], 2)
    only = tmp_path / "positives"
    only.mkdir()
    (only / "all.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in sample_rows if r["label"] == "misleading"), encoding="utf-8"
    )
    data = load_labeled([*paths, only / "all.jsonl"], group_col="group", negative=["acceptable"])
    across = train(data, TrainConfig(c_values=(4.0,), n_folds=3, source_holdout="folder")).cv_report["across_sources"]
    assert across["skipped_sources"] == {"positives": "without it the rest has one class only"}
    assert across["sources"] == 2 and set(across["by_source"]) == {"writer0", "writer1"}
    assert across["overall"]["n"] == len(data) - sum(1 for r in sample_rows if r["label"] == "misleading")


def test_the_source_holdout_only_reports_and_leaves_the_model_unchanged(tmp_path, sample_rows):
    from adcheck.readers import load_labeled

    data = load_labeled(_write_sources(tmp_path, sample_rows, 3), group_col="group", negative=["acceptable"])
    with_holdout = train(data, TrainConfig(c_values=(4.0,), n_folds=3, source_holdout="folder"))
    without = train(data, TrainConfig(c_values=(4.0,), n_folds=3))
    assert np.array_equal(with_holdout.model.risk_head.coef, without.model.risk_head.coef)
    assert with_holdout.model.band_thresholds == without.model.band_thresholds
    assert with_holdout.model.category_thresholds == without.model.category_thresholds
    assert {k: v for k, v in with_holdout.cv_report.items() if k != "across_sources"} == without.cv_report


def test_source_sets_split_the_sources_into_sets_of_about_equal_rows():
    from adcheck.training import source_sets

    sizes = {"a": 50, "b": 40, "c": 30, "d": 20, "e": 10, "f": 10}
    units = np.asarray([name for name, n in sizes.items() for _ in range(n)])
    sets = source_sets(units, sorted(sizes), 3)
    assert [label for label, _ in sets] == ["set 1 of 3", "set 2 of 3", "set 3 of 3"]
    # largest first, each into the set with the fewest rows so far (the first on a tie):
    # a, b, c open the sets; d joins c (30), e joins b (40), f the first of three at 50
    assert [held for _, held in sets] == [["a", "f"], ["b", "e"], ["c", "d"]]
    # every source in exactly one set, whatever order the names come in
    assert source_sets(units, ["f", "e", "d", "c", "b", "a"], 3) == sets
    # no sets, or as many sets as sources or more: each source alone
    alone = [(name, [name]) for name in sorted(sizes)]
    assert source_sets(units, sorted(sizes), None) == alone
    assert source_sets(units, sorted(sizes), 6) == alone == source_sets(units, sorted(sizes), 9)


def test_sources_held_out_in_sets_are_scored_by_a_model_without_their_whole_set(tmp_path, sample_rows, monkeypatch):
    from adcheck.features import Vocabulary, extract_occurrences
    from adcheck.readers import load_labeled
    from adcheck.training import _fit_head, _sigmoid, source_sets, source_units

    # near-duplicate variants of 40 texts of the first folder, in their groups, in a folder of the
    # other set: which set a folder falls in depends on the rows the corpus sample gives it, so the
    # variants go to the last folder that source_sets puts apart from writer0
    for target in (3, 2, 1):
        base = tmp_path / f"variants_in_writer{target}"
        paths = _write_sources(base, sample_rows, 4)
        variants = [json.loads(line) for line in paths[0].read_text(encoding="utf-8").splitlines()[:40]]
        with paths[target].open("a", encoding="utf-8") as f:
            for row in variants:
                f.write(json.dumps({**row, "id": row["id"] + "-v", "text": row["text"] + " !!"}, ensure_ascii=False) + "\n")
        monkeypatch.chdir(base)
        data = load_labeled(paths, group_col="group", negative=["acceptable"])
        units = source_units(data, "folder")
        if not any("writer0" in held and f"writer{target}" in held for _, held in source_sets(units, sorted(set(units.tolist())), 2)):
            break
    else:
        pytest.fail("source_sets put writer0 beside every other folder")
    config = TrainConfig(c_values=(4.0,), n_folds=3, source_holdout="folder", source_holdout_sets=2)
    messages = []
    result = train(data, config, progress=messages.append)
    across = result.cv_report["across_sources"]
    assert across["sets"] == 2 and across["sources"] == 4
    assert set(across["by_source"]) == {"writer0", "writer1", "writer2", "writer3"}
    assert across["overall"]["n"] == len(data)
    units = source_units(data, "folder")
    sets = source_sets(units, sorted(set(units.tolist())), 2)
    assert all(len(held) == 2 for _, held in sets)
    assert [m for m in messages if " held out: " in m] == [
        f"set {k}/2 held out: 2 folders, {int(np.isin(units, held).sum()):,} rows" for k, (_, held) in enumerate(sets, 1)
    ]
    # a source's figures are those of a model that saw neither its set nor any group reaching into it
    (_, held), = [(label, held) for label, held in sets if "writer0" in held]
    assert f"writer{target}" not in held  # the variants of writer0's texts sit in the other set
    in_set = np.isin(units, held)
    occurrences = extract_occurrences(data.texts, config.feature_specs[0])

    def held_out_metrics(train_mask):
        rows = np.flatnonzero(train_mask)
        matrix = Vocabulary.fit(occurrences, config.feature_specs[0], rows=rows).transform(occurrences)
        risk = _sigmoid(_fit_head(matrix[rows], data.labels[rows], 4.0, config.seed).decision(matrix))
        source = units == "writer0"
        return binary_metrics(data.labels[source], risk[source], across["overall"]["threshold"])

    assert across["by_source"]["writer0"] == held_out_metrics(~in_set & ~np.isin(data.groups, data.groups[in_set]))
    assert across["by_source"]["writer0"] != held_out_metrics(~in_set)  # training on the variants would flatter it
    held = ["writer0"]
    # one source at a time gives other figures, and the model itself is the same either way
    alone = train(data, replace(config, source_holdout_sets=None))
    assert alone.cv_report["across_sources"]["by_source"][held[0]] != across["by_source"][held[0]]
    assert "sets" not in alone.cv_report["across_sources"]
    assert np.array_equal(alone.model.risk_head.coef, result.model.risk_head.coef)


def test_sets_of_sources_resume_from_a_checkpoint_that_one_source_at_a_time_never_reads(tmp_path, sample_rows, monkeypatch):
    from adcheck.readers import load_labeled

    monkeypatch.chdir(tmp_path)
    data = load_labeled(_write_sources(tmp_path, sample_rows, 4), group_col="group", negative=["acceptable"])
    config = TrainConfig(c_values=(4.0,), n_folds=3, source_holdout="folder", source_holdout_sets=2)
    plain = train(data, config).cv_report["across_sources"]
    first, reused, _ = _checkpointed(data, config, tmp_path / "ck")
    assert first == plain and reused == set()
    stored = sorted((tmp_path / "ck").glob("*/*.npz"))
    assert len(stored) == 2  # one file per set
    stored[0].unlink()
    resumed, reused, messages = _checkpointed(data, config, tmp_path / "ck")
    assert resumed == plain and len(reused) == 1
    # the same rows held out one source at a time are another run, under another key: nothing is read back
    _, reused, _ = _checkpointed(data, replace(config, source_holdout_sets=None), tmp_path / "ck")
    assert reused == set()
    assert len([p for p in (tmp_path / "ck").iterdir() if p.is_dir() and p.name != "cv"]) == 2
    # as many sets as sources, or more, is one source at a time: the same report and the same files
    alone, reused, messages = _checkpointed(data, replace(config, source_holdout_sets=5), tmp_path / "ck")
    assert reused == {"writer0", "writer1", "writer2", "writer3"} and "sets" not in alone
    assert alone == train(data, replace(config, source_holdout_sets=None)).cv_report["across_sources"]
    assert "holding out the source folders in 5 sets, each set in turn" in messages
    assert not any(m.startswith("set ") for m in messages)


def test_sets_without_a_source_holdout_are_said_to_be_unused(sample_rows):
    messages = []
    train(_data(sample_rows), TrainConfig(c_values=(4.0,), n_folds=3, source_holdout_sets=4), progress=messages.append)
    assert "source_holdout_sets 4 is not used: this run holds out no sources (source_holdout is off)" in messages


def _checkpointed(data, config, folder, **kwargs):
    """The per-source report of a run with a checkpoint folder, and which sources it read back."""
    messages = []
    result = train(data, config, progress=messages.append, checkpoint=folder, **kwargs)
    reused = {m.split("held out: ")[1].split(" (")[0] for m in messages if m.endswith("(from the checkpoint)")}
    return result.cv_report["across_sources"], reused, messages


def test_a_stopped_source_holdout_resumes_from_its_checkpoint_with_the_same_figures(tmp_path, sample_rows, monkeypatch):
    from adcheck.readers import load_labeled

    monkeypatch.chdir(tmp_path)
    data = load_labeled(_write_sources(tmp_path, sample_rows, 3), group_col="group", negative=["acceptable"])
    config = TrainConfig(c_values=(4.0,), n_folds=3, source_holdout="folder")
    plain = train(data, config).cv_report["across_sources"]
    first, reused, _ = _checkpointed(data, config, tmp_path / "ck")
    assert first == plain and reused == set()
    stored = sorted((tmp_path / "ck").glob("*/*.npz"))
    assert len(stored) == 3  # one file per finished source
    # a run stopped after two sources: the third is held out again, the two finished ones are read back
    stored[0].unlink()
    resumed, reused, _ = _checkpointed(data, config, tmp_path / "ck", jobs=2)
    assert resumed == plain
    assert len(reused) == 2 and reused < {"writer0", "writer1", "writer2"}
    assert len(list((tmp_path / "ck").glob("*/*.npz"))) == 3
    _, reused, _ = _checkpointed(data, config, tmp_path / "ck")
    assert reused == {"writer0", "writer1", "writer2"}


def test_a_checkpoint_is_not_read_after_the_rows_or_settings_change(tmp_path, sample_rows, monkeypatch):
    from adcheck.readers import load_labeled

    monkeypatch.chdir(tmp_path)
    data = load_labeled(_write_sources(tmp_path, sample_rows, 3), group_col="group", negative=["acceptable"])
    config = TrainConfig(c_values=(4.0,), n_folds=3, source_holdout="folder")
    _checkpointed(data, config, tmp_path / "ck")
    # another C: nothing is reused and the run keeps its own files beside the first run's
    _, reused, _ = _checkpointed(data, TrainConfig(c_values=(2.0,), n_folds=3, source_holdout="folder"), tmp_path / "ck")
    assert reused == set()
    assert len([p for p in (tmp_path / "ck").iterdir() if p.is_dir() and p.name != "cv"]) == 2
    # one label flipped: the corpus differs, so every source is held out again
    flipped = LabeledData(data.texts, data.labels.copy(), data.groups, data.languages, data.categories, data.sources, data.files)
    flipped.labels[0] = not flipped.labels[0]
    expected = train(flipped, config).cv_report["across_sources"]
    report, reused, _ = _checkpointed(flipped, config, tmp_path / "ck")
    assert reused == set() and report == expected


def test_a_damaged_checkpoint_file_is_reported_and_held_out_again(tmp_path, sample_rows, monkeypatch):
    from adcheck.readers import load_labeled

    monkeypatch.chdir(tmp_path)
    data = load_labeled(_write_sources(tmp_path, sample_rows, 3), group_col="group", negative=["acceptable"])
    config = TrainConfig(c_values=(4.0,), n_folds=3, source_holdout="folder")
    plain, _, _ = _checkpointed(data, config, tmp_path / "ck")
    damaged = sorted((tmp_path / "ck").glob("*/*.npz"))[1]
    damaged.write_bytes(b"PK\x03\x04 not an archive")
    report, reused, messages = _checkpointed(data, config, tmp_path / "ck")
    assert report == plain and len(reused) == 2
    assert any(m.startswith(f"checkpoint file {damaged} for ") and "holding it out again" in m for m in messages)
    _, reused, _ = _checkpointed(data, config, tmp_path / "ck")  # rewritten whole
    assert len(reused) == 3


def test_a_checkpoint_that_cannot_be_written_is_a_one_line_error(tmp_path, sample_rows, monkeypatch):
    from adcheck import checkpoint
    from adcheck.readers import load_labeled

    monkeypatch.chdir(tmp_path)
    data = load_labeled(_write_sources(tmp_path, sample_rows, 2), group_col="group", negative=["acceptable"])

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checkpoint.np, "savez", full_disk)
    with pytest.raises(TrainingError, match=r"^cannot write the checkpoint file .*\.npz: No space left on device$"):
        train(data, TrainConfig(c_values=(4.0,), n_folds=3, source_holdout="folder"), checkpoint=tmp_path / "ck")
    assert not [name for _, _, files in os.walk(tmp_path / "ck") for name in files]  # nothing half-written is left


def test_the_cross_validation_folds_resume_from_a_checkpoint_with_the_same_figures(tmp_path, sample_rows, monkeypatch):
    """Without a source hold-out the checkpoint still keeps the grouped-CV folds: the risk head's for
    every C and the category heads' for the chosen C, read back by a second run with the same figures."""
    data = _data(sample_rows)
    config = TrainConfig(c_values=(1.0, 4.0), n_folds=3)
    plain = train(data, config)
    first_messages, second_messages = [], []
    first = train(data, config, progress=first_messages.append, checkpoint=tmp_path / "ck")
    stored = sorted((tmp_path / "ck" / "cv").glob("*/*.npz"))
    assert len(stored) == 6  # three risk folds, three category folds
    assert not any("read back from the checkpoint" in m for m in first_messages)
    assert first.cv_report == plain.cv_report
    fitted = []
    real_fit = training._fit_head
    monkeypatch.setattr(training, "_fit_head", lambda *a, **k: fitted.append(1) or real_fit(*a, **k))
    second = train(data, config, progress=second_messages.append, checkpoint=tmp_path / "ck", jobs=2)
    assert second.cv_report == plain.cv_report
    assert sum(m.endswith("done (read back from the checkpoint)") for m in second_messages) == 3
    assert "category heads cross-validated (3 of 3 folds read back from the checkpoint)" in second_messages
    assert len(fitted) == 1 + len(second.model.category_heads)  # only the final model's heads
    assert sorted((tmp_path / "ck" / "cv").glob("*/*.npz")) == stored


def test_cross_validation_folds_are_not_read_back_for_other_c_values_or_rows(tmp_path, sample_rows):
    data = _data(sample_rows)
    train(data, TrainConfig(c_values=(4.0,), n_folds=3), checkpoint=tmp_path / "ck")
    for config in (TrainConfig(c_values=(2.0,), n_folds=3), TrainConfig(c_values=(4.0,), n_folds=4)):
        messages = []
        train(data, config, progress=messages.append, checkpoint=tmp_path / "ck")
        assert not any("read back from the checkpoint" in m for m in messages), config
    flipped = replace(data, labels=data.labels.copy())
    flipped.labels[0] = 1 - flipped.labels[0]
    messages = []
    train(flipped, TrainConfig(c_values=(4.0,), n_folds=3), progress=messages.append, checkpoint=tmp_path / "ck")
    assert not any("read back from the checkpoint" in m for m in messages)


def test_a_run_says_how_much_of_its_checkpoint_belongs_to_other_runs_and_deletes_none(tmp_path, sample_rows):
    data = _data(sample_rows)
    first = []
    train(data, TrainConfig(c_values=(4.0,), n_folds=3), progress=first.append, checkpoint=tmp_path / "ck")
    assert not any("of other runs" in m for m in first)
    second = []
    train(data, TrainConfig(c_values=(2.0,), n_folds=3), progress=second.append, checkpoint=tmp_path / "ck")
    said = [m for m in second if "of other runs" in m]
    assert len(said) == 1 and said[0].startswith(f"checkpoint {tmp_path / 'ck'} also holds 2 folders of other runs ("), said
    assert len(list((tmp_path / "ck" / "cv").iterdir())) == 4  # the first run's folders are still there
    again = []
    train(data, TrainConfig(c_values=(4.0,), n_folds=3), progress=again.append, checkpoint=tmp_path / "ck")
    assert sum("read back from the checkpoint" in m for m in again) == 4  # 3 risk folds, and the category heads' line
    assert any("also holds 2 folders of other runs" in m for m in again)


def test_a_damaged_fold_file_is_reported_and_fitted_again(tmp_path, sample_rows):
    data = _data(sample_rows)
    config = TrainConfig(c_values=(4.0,), n_folds=3)
    plain = train(data, config, checkpoint=tmp_path / "ck")
    damaged = sorted((tmp_path / "ck" / "cv").glob("*/*.npz"))[0]
    damaged.write_bytes(b"not an npz file")
    messages = []
    again = train(data, config, progress=messages.append, checkpoint=tmp_path / "ck")
    assert again.cv_report == plain.cv_report
    assert any(m.startswith(f"checkpoint file {damaged} for fold ") and m.endswith("computing it again") for m in messages)


def test_a_checkpoint_that_is_a_file_is_a_one_line_error(tmp_path, sample_rows, monkeypatch):
    from adcheck.readers import load_labeled

    monkeypatch.chdir(tmp_path)
    data = load_labeled(_write_sources(tmp_path, sample_rows, 2), group_col="group", negative=["acceptable"])
    (tmp_path / "ck").write_text("x", encoding="utf-8")
    with pytest.raises(TrainingError, match=r"checkpoint .*ck is not a folder"):
        train(data, TrainConfig(c_values=(4.0,), n_folds=3, source_holdout="folder"), checkpoint=tmp_path / "ck")


def test_source_holdout_is_skipped_with_a_reason_when_rows_have_no_file(sample_rows):
    result = train(_data(sample_rows), TrainConfig(c_values=(4.0,), n_folds=3, source_holdout="file"))
    assert result.cv_report["across_sources"] == {"unit": "file", "skipped": "the rows do not record the file they came from"}
    assert "across_sources" not in train(_data(sample_rows), TrainConfig(c_values=(4.0,), n_folds=3)).cv_report


def test_source_holdout_is_read_back_from_metadata_for_retrain():
    from adcheck.retrain import _config_from_metadata

    meta = {"hyperparameters": {"search": TrainConfig(c_values=(4.0,), n_folds=3, source_holdout="folder").to_dict()}}
    assert _config_from_metadata(meta).source_holdout == "folder"
    del meta["hyperparameters"]["search"]["source_holdout"]  # a model trained before the option existed
    assert _config_from_metadata(meta).source_holdout is None
    meta["hyperparameters"]["search"]["source_holdout_sets"] = 20
    assert _config_from_metadata(meta).source_holdout_sets == 20
    del meta["hyperparameters"]["search"]["source_holdout_sets"]
    assert _config_from_metadata(meta).source_holdout_sets is None
    from adcheck.errors import ModelFileError

    meta["hyperparameters"]["search"]["source_holdout_sets"] = "x"
    with pytest.raises(ModelFileError, match="metadata is damaged: source_holdout_sets must be a whole number"):
        _config_from_metadata(meta)


def test_unknown_source_holdout_is_a_one_line_error(tmp_path):
    from adcheck.training_config import resolve_training_options

    (tmp_path / "x.jsonl").write_text('{"text": "a", "label": "misleading"}\n', encoding="utf-8")
    config = tmp_path / "c.toml"
    config.write_text('[model]\nout = "m"\n[data]\nfiles = ["x.jsonl"]\n[training]\nsource_holdout = "writer"\n', encoding="utf-8")
    def resolve(**kw):
        return resolve_training_options(config=config, data=None, out=None, text_col="text", label_col="label", positive=None,
                                        negative=None, group_col=None, categories_col="categories", lang_col="lang", name=None,
                                        seed=None, folds=None, c_values=None, **kw)

    with pytest.raises(TrainingError, match="source_holdout must be one of folder, file or none"):
        resolve()
    # the command line wins over the config, and "none" turns the config's hold-out off
    assert resolve(source_holdout="file").config.source_holdout == "file"
    assert resolve(source_holdout="none").config.source_holdout is None


@pytest.mark.parametrize("bad", ["1", "-3", "2.5", "true", '"ten"'])
def test_bad_source_holdout_sets_is_a_one_line_error(tmp_path, bad):
    from adcheck.training_config import resolve_training_options

    (tmp_path / "x.jsonl").write_text('{"text": "a", "label": "misleading"}\n', encoding="utf-8")
    config = tmp_path / "c.toml"
    config.write_text(f'[model]\nout = "m"\n[data]\nfiles = ["x.jsonl"]\n[training]\nsource_holdout = "folder"\n'
                      f'source_holdout_sets = {bad}\n', encoding="utf-8")

    def resolve(**kw):
        return resolve_training_options(config=config, data=None, out=None, text_col="text", label_col="label", positive=None,
                                        negative=None, group_col=None, categories_col="categories", lang_col="lang", name=None,
                                        seed=None, folds=None, c_values=None, **kw)

    with pytest.raises(TrainingError, match="source_holdout_sets must be a whole number of at least 2"):
        resolve()
    # the command line wins over the config; 0 holds each source out alone
    assert resolve(source_holdout_sets=5).config.source_holdout_sets == 5
    assert resolve(source_holdout_sets=0).config.source_holdout_sets is None


@pytest.mark.parametrize(("value", "expected"), [("20", 20), ("0", None), ('"none"', None), ("false", None)])
def test_source_holdout_sets_from_the_config(tmp_path, value, expected):
    from adcheck.training_config import resolve_training_options

    (tmp_path / "x.jsonl").write_text('{"text": "a", "label": "misleading"}\n', encoding="utf-8")
    config = tmp_path / "c.toml"
    config.write_text(f'[model]\nout = "m"\n[data]\nfiles = ["x.jsonl"]\n[training]\nsource_holdout_sets = {value}\n', encoding="utf-8")
    options = resolve_training_options(config=config, data=None, out=None, text_col="text", label_col="label", positive=None,
                                       negative=None, group_col=None, categories_col="categories", lang_col="lang", name=None,
                                       seed=None, folds=None, c_values=None)
    assert options.config.source_holdout_sets == expected


def test_training_on_threads_gives_the_same_model_and_figures(tmp_path, sample_rows, monkeypatch):
    import threading

    import adcheck.training as training
    from adcheck.readers import load_labeled

    paths = _write_sources(tmp_path, sample_rows, 3)
    data = load_labeled(paths, group_col="group", negative=["acceptable"])
    config = TrainConfig(c_values=(1.0, 4.0), n_folds=3, source_holdout="folder")
    serial = train(data, config, jobs=1)
    threads = set()
    fit = training._fit_head

    def recording_fit(*args, **kwargs):
        threads.add(threading.current_thread().name)
        return fit(*args, **kwargs)

    monkeypatch.setattr(training, "_fit_head", recording_fit)
    parallel = train(data, config, jobs=3)
    # the folds, category heads and held-out sources were fitted on worker threads ...
    assert sum(name.startswith("adcheck-train") for name in threads) >= 2
    # ... and nothing that the model or its report holds depends on that
    assert parallel.cv_report == serial.cv_report
    assert parallel.chosen == serial.chosen and parallel.cv_candidates == serial.cv_candidates
    assert parallel.out_of_fold.keys() == serial.out_of_fold.keys()
    assert all(np.array_equal(parallel.out_of_fold[k], serial.out_of_fold[k]) for k in serial.out_of_fold)
    assert np.array_equal(parallel.model.risk_head.coef, serial.model.risk_head.coef)
    texts = [r["text"] for r in sample_rows[:50]]
    assert np.array_equal(parallel.model.predict_proba(texts), serial.model.predict_proba(texts))
    with pytest.raises(TrainingError, match="jobs must be 0"):
        train(data, config, jobs=-1)


# Run in a fresh interpreter: training forks only a process with no other thread, and earlier tests
# may leave idle threads behind in this one (a Dask or thread pool). argv: mode, pid log, data files.
_FORKED_TRAINING_SCRIPT = """
import json, os, sys
import numpy as np
import adcheck.training as training
from adcheck.errors import TrainingError
from adcheck.readers import load_labeled
from adcheck.training import TrainConfig, train

mode, log, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
data = load_labeled(paths, group_col="group", negative=["acceptable"])
config = TrainConfig(c_values=(2.0,), n_folds=3, source_holdout="folder")
parent = os.getpid()
result = {"parent": parent, "can_fork": training._can_fork()}
category_fit = training._fit_category_head
in_forked_processes = training._in_forked_processes
stages = []

def recording_category_fit(*args, **kwargs):
    if mode == "die" and os.getpid() != parent:
        os._exit(3)  # as the kernel's out-of-memory killer would end it
    with open(log, "a", encoding="utf-8") as fh:  # the workers' memory is their own: a file tells
        fh.write(f"{os.getpid()}\\n")
    return category_fit(*args, **kwargs)

def recording_in_forked_processes(function, items, jobs):
    stages.append(function.__name__)
    return in_forked_processes(function, items, jobs)

if mode == "same":
    serial = train(data, config, jobs=1)
training._fit_category_head = recording_category_fit
training._in_forked_processes = recording_in_forked_processes
try:
    forked = train(data, config, jobs=2)
except TrainingError as error:
    result["error"] = str(error)
else:
    result["same"] = (
        forked.cv_report == serial.cv_report
        and all(np.array_equal(forked.out_of_fold[k], serial.out_of_fold[k]) for k in serial.out_of_fold)
        and np.array_equal(forked.model.risk_head.coef, serial.model.risk_head.coef)
    )
result["stages"] = stages
print(json.dumps(result))
"""


def _train_in_fresh_process(mode: str, tmp_path, sample_rows, n_sources: int) -> tuple[dict, set[str]]:
    import json
    import subprocess

    paths = _write_sources(tmp_path / "data", sample_rows, n_sources)
    log = tmp_path / "pids.txt"
    done = subprocess.run([sys.executable, "-c", _FORKED_TRAINING_SCRIPT, mode, str(log), *map(str, paths)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    pids = set(log.read_text(encoding="utf-8").split()) if log.exists() else set()
    return json.loads(done.stdout.strip().splitlines()[-1]), pids


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forked training workers are used on Linux only")
def test_category_heads_and_held_out_sources_run_in_forked_processes_with_the_same_results(tmp_path, sample_rows, monkeypatch):
    """Dual fits must run one at a time in a process (the solver lock), so the category heads and the
    held-out sources, mostly dual fits, run in forked worker processes: side by side, same results."""
    import adcheck.training as training
    from adcheck.readers import load_labeled

    result, pids = _train_in_fresh_process("same", tmp_path, sample_rows, 4)
    assert result["can_fork"]  # a fresh single-threaded process on Linux may fork
    # both stages made mostly of dual fits went to forked workers ...
    assert result["stages"] == ["fold_categories", "held_out_predictions"]
    assert str(result["parent"]) in pids  # (the final model's heads are fitted in the parent)
    # ... which fitted their heads (a pool of two for each stage), and every figure equals the serial run's
    assert 2 <= len(pids - {str(result["parent"])}) <= 4
    assert result["same"] is True

    # where this process may not fork, the same work runs on threads, with the same results
    data = load_labeled(_write_sources(tmp_path / "again", sample_rows, 4), group_col="group", negative=["acceptable"])
    config = TrainConfig(c_values=(2.0,), n_folds=3, source_holdout="folder")
    serial = train(data, config, jobs=1)
    forked_stages = []
    monkeypatch.setattr(training, "_can_fork", lambda: False)
    monkeypatch.setattr(training, "_in_forked_processes", lambda function, items, jobs: forked_stages.append(function))
    threaded = train(data, config, jobs=2)
    assert forked_stages == [] and threaded.cv_report == serial.cv_report


def test_a_process_with_other_threads_is_not_forked():
    """A lock another thread holds at the fork would stay held in the child (a notebook kernel's I/O
    threads, a second training on a thread), so training forks only a single-threaded process."""
    import threading

    import adcheck.training as training

    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert threading.active_count() > 1 and not training._can_fork()
    finally:
        release.set()
        other.join()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forked training workers are used on Linux only")
def test_a_worker_process_that_dies_is_a_one_line_training_error(tmp_path, sample_rows):
    result, _ = _train_in_fresh_process("die", tmp_path, sample_rows, 3)
    assert result["stages"] == ["fold_categories"]
    assert "\n" not in result["error"]
    assert re.match(r"a training worker process ended abruptly \(.+\); if it ran out of memory, retry with fewer --jobs$",
                    result["error"]), result["error"]


def test_a_dual_fit_never_runs_beside_another_fit_and_primal_fits_share(monkeypatch):
    """scikit-learn's liblinear reseeds one process-wide generator at every fit and its dual solver
    draws from it mid-fit, so a dual fit beside any other fit could change with thread timing (a CI
    rebuild of the shipped model once did). Primal fits draw nothing and may overlap."""
    import threading
    import time as clock

    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    import adcheck.training as training

    active: list[bool] = []  # the dual flag of each fit running now
    seen: list[tuple[bool, int, int]] = []  # (dual, fits running at its start, at its end)
    guard = threading.Lock()
    fit = LogisticRegression.fit

    def watched_fit(self, *args, **kwargs):
        with guard:
            active.append(self.dual)
            started = len(active)
        clock.sleep(0.02)  # widen the window another thread could enter
        try:
            return fit(self, *args, **kwargs)
        finally:
            with guard:
                seen.append((self.dual, started, len(active)))
                active.remove(self.dual)

    monkeypatch.setattr(LogisticRegression, "fit", watched_fit)
    rng = np.random.default_rng(0)
    matrix = sparse.csr_matrix(rng.random((60, 30)))
    y = np.arange(60) % 2 == 0
    solo = training._fit_head(matrix, y, 4.0, 13, 1.0, dual=True)
    seen.clear()
    results: list = []

    def work(dual: bool) -> None:
        results.append((dual, training._fit_head(matrix, y, 4.0, 13, 1.0, dual=dual)))

    threads = [threading.Thread(target=work, args=(k % 3 == 0,)) for k in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(start == end == 1 for dual, start, end in seen if dual)  # alone from start to end
    assert any(start > 1 or end > 1 for dual, start, end in seen if not dual)  # primal fits shared
    for dual, head in results:
        if dual:
            assert np.array_equal(head.coef, solo.coef) and head.intercept == solo.intercept


def test_train_command_reports_and_cards_the_per_source_figures(tmp_path, sample_rows):
    from typer.testing import CliRunner

    from adcheck.cli import app

    paths = _write_sources(tmp_path, sample_rows, 2)
    second = paths[1].parent / "more.jsonl"  # two files in one folder: file and folder units differ
    lines = paths[1].read_text(encoding="utf-8").splitlines(keepends=True)
    paths[1].write_text("".join(lines[: len(lines) // 2]), encoding="utf-8")
    second.write_text("".join(lines[len(lines) // 2 :]), encoding="utf-8")
    base = ["train", "--group-col", "group", "--negative", "acceptable", "--c", "4", "--folds", "3", "--quiet", "--jobs", "2"]
    for path in [*paths, second]:
        base += ["--data", str(path)]
    runner = CliRunner()
    result = runner.invoke(app, [*base, "--out", str(tmp_path / "by_file"), "--source-holdout", "file"])
    assert result.exit_code == 0, result.output
    assert "holding out each of 3 source files in turn: ROC-AUC" in result.stderr
    card = (tmp_path / "by_file" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "## Across sources (each source file held out in turn)" in card
    assert "Hardest held-out sources (ROC-AUC):" in card
    result = runner.invoke(app, [*base, "--out", str(tmp_path / "by_folder"), "--source-holdout", "folder"])
    assert "holding out each of 2 source folders in turn" in result.stderr
    result = runner.invoke(app, [*base, "--out", str(tmp_path / "in_sets"), "--source-holdout", "file", "--source-sets", "2"])
    assert result.exit_code == 0, result.output
    assert "holding out 3 source files in 2 sets, each set in turn: ROC-AUC" in result.stderr
    card = (tmp_path / "in_sets" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "## Across sources (source files held out in 2 sets, each set in turn)" in card
    assert "The 3 source files were split into 2 sets of about equal size" in card
    result = runner.invoke(app, [*base, "--out", str(tmp_path / "one_set"), "--source-holdout", "file", "--source-sets", "1"])
    assert result.exit_code != 0 and "source_holdout_sets must be a whole number of at least 2" in result.stderr
    result = runner.invoke(app, [*base, "--out", str(tmp_path / "off"), "--source-holdout", "none"])
    assert result.exit_code == 0 and "holding out" not in result.stderr
    assert "Across sources" not in (tmp_path / "off" / "MODEL_CARD.md").read_text(encoding="utf-8")


def test_train_command_resumes_the_source_holdout_from_a_checkpoint(tmp_path, sample_rows):
    from typer.testing import CliRunner

    from adcheck.cli import app

    paths = _write_sources(tmp_path, sample_rows, 2)
    base = ["train", "--group-col", "group", "--negative", "acceptable", "--c", "4", "--folds", "3", "--jobs", "1",
            "--source-holdout", "folder", "--checkpoint", str(tmp_path / "ck")]
    for path in paths:
        base += ["--data", str(path)]
    runner = CliRunner()
    first = runner.invoke(app, [*base, "--out", str(tmp_path / "a")])
    assert first.exit_code == 0, first.output
    assert "held-out sources are kept in" in first.stderr and "(from the checkpoint)" not in first.stderr
    second = runner.invoke(app, [*base, "--out", str(tmp_path / "b")])
    assert second.exit_code == 0, second.output
    assert second.stderr.count("(from the checkpoint)") == 2
    reports = [json.loads((tmp_path / name / "metadata.json").read_text(encoding="utf-8"))["cv"]["report"] for name in "ab"]
    assert reports[0] == reports[1]
    (tmp_path / "file").write_text("x", encoding="utf-8")
    bad = runner.invoke(app, [*base[:-1], str(tmp_path / "file"), "--out", str(tmp_path / "c")])
    assert bad.exit_code != 0 and not (tmp_path / "c").exists()


def test_category_heads_are_class_balanced_by_default_and_the_choice_is_recorded(sample_rows):
    from adcheck.retrain import _config_from_metadata

    data = _data(sample_rows)
    balanced = train(data, TrainConfig(c_values=(4.0,), n_folds=3))
    plain = train(data, TrainConfig(c_values=(4.0,), n_folds=3, category_weights=None))
    assert balanced.chosen["category_weights"] == "balanced" and plain.chosen["category_weights"] is None
    # the risk head is the same; the category heads are not
    texts = [r["text"] for r in sample_rows[:80]]
    assert np.array_equal(balanced.model.predict_proba(texts), plain.model.predict_proba(texts))
    code = next(iter(balanced.model.category_heads))
    assert not np.allclose(balanced.model.category_heads[code].coef, plain.model.category_heads[code].coef)
    # weighting lifts a rare category's probability among the misleading texts (risk is the same)
    misleading = [data.texts[i] for i in np.flatnonzero(data.labels)]
    rare = min(balanced.model.category_heads, key=lambda c: sum(c in cats for cats in data.categories))
    assert balanced.model.category_proba(misleading)[rare].mean() > plain.model.category_proba(misleading)[rare].mean()
    meta = {"hyperparameters": {"search": TrainConfig(c_values=(4.0,), n_folds=3).to_dict()}}
    assert _config_from_metadata(meta).category_weights == "balanced"
    del meta["hyperparameters"]["search"]["category_weights"]  # a model trained before the option existed
    assert _config_from_metadata(meta).category_weights is None


def test_the_second_stage_gives_the_risk_and_is_held_out_with_the_sources_too(tmp_path, sample_rows):
    from adcheck.readers import load_labeled

    data = load_labeled(_write_sources(tmp_path, sample_rows, 3), group_col="group", negative=["acceptable"])
    plain = train(data, TrainConfig(c_values=(4.0,), n_folds=3, source_holdout="folder"))
    staged = train(data, TrainConfig(c_values=(4.0,), n_folds=3, source_holdout="folder", stage_two="trees"), jobs=2)
    # the heads are the same; the trees come on top and set the thresholds and figures
    assert np.array_equal(staged.model.risk_head.coef, plain.model.risk_head.coef)
    assert plain.model.stage_two is None and staged.model.stage_two is not None
    assert staged.cv_report["risk_head_alone"]["overall"]["roc_auc"] == plain.cv_report["overall"]["roc_auc"]
    assert staged.cv_report["overall"]["roc_auc"] != plain.cv_report["overall"]["roc_auc"]
    across = staged.cv_report["across_sources"]
    assert across["risk_head_alone"]["overall"]["roc_auc"] == plain.cv_report["across_sources"]["overall"]["roc_auc"]
    assert across["overall"]["n"] == len(data)
    # the out-of-fold risk is the trees' own cross-validation, and the bands are chosen on it
    from adcheck.evaluation import threshold_for_precision

    y = data.labels.astype(bool)
    high = threshold_for_precision(y, staged.out_of_fold["risk"], 0.90)
    assert staged.model.band_thresholds == {"high": round(high, 6),
                                            "medium": round(min(threshold_for_precision(y, staged.out_of_fold["risk"], 0.80), high), 6)}
    assert staged.model.band_thresholds != plain.model.band_thresholds
    serial = train(data, TrainConfig(c_values=(4.0,), n_folds=3, source_holdout="folder", stage_two="trees"), jobs=1)
    texts = data.texts[:200]
    assert np.array_equal(serial.model.predict_proba(texts), staged.model.predict_proba(texts))
    assert serial.cv_report == staged.cv_report


def test_a_set_whose_rest_has_one_class_gets_no_second_stage_and_is_not_pooled(tmp_path, sample_rows, monkeypatch):
    from adcheck.readers import load_labeled

    monkeypatch.chdir(tmp_path)

    # two folders, one of them all acceptable: held out, the mixed one leaves one class for the heads
    # (skipped); the acceptable one is scored by heads fitted on the mixed one, but then no other held-out
    # rows are left to fit its trees on: it gets no second-stage risk and nothing is pooled
    rows = sample_rows[:300]
    acceptable = [r for r in rows if r["label"] == "acceptable"]
    groups = {r["group"] for r in rows if r["label"] == "misleading"}
    mixed = [r for r in rows if r["group"] in groups]
    only_acceptable = [r for r in acceptable if r["group"] not in groups]
    paths = []
    for name, chosen in (("mixed", mixed), ("calm", only_acceptable)):
        (tmp_path / name).mkdir()
        path = tmp_path / name / "batch.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in chosen), encoding="utf-8")
        paths.append(path)
    data = load_labeled(paths, group_col="group", negative=["acceptable"])
    across = train(data, TrainConfig(c_values=(4.0,), n_folds=3, source_holdout="folder", stage_two="trees")).cv_report["across_sources"]
    assert across["skipped_sources"] == {"mixed": "without it the rest has one class only"}
    assert across["second_stage_skipped"] == {"calm": "without it the rest has one class only"}
    assert across["skipped"] == "no held-out set left rows of both classes to fit the second stage on"


def test_a_train_config_refuses_an_unknown_second_stage():
    with pytest.raises(TrainingError, match="stage_two must be None or trees, not 'none'"):
        TrainConfig(stage_two="none")


def test_retrain_reads_the_base_models_second_stage():
    from adcheck.retrain import _config_from_metadata

    search = TrainConfig(c_values=(4.0,), n_folds=3, stage_two="trees").to_dict()
    assert _config_from_metadata({"hyperparameters": {"search": search}}).stage_two == "trees"
    del search["stage_two"]  # a model trained before the option existed
    assert _config_from_metadata({"hyperparameters": {"search": search}}).stage_two is None


def test_the_report_counts_lawful_copy_flagged_with_and_without_a_footnote_mark(tmp_path, sample_rows, monkeypatch):
    from adcheck.evaluation import footnoted_lawful_flagged
    from adcheck.readers import load_labeled

    y = np.array([False, False, False, True, False])
    texts = ["a*", "b ※ c", "d", "e*", "f"]
    risk = np.array([0.9, 0.1, 0.6, 0.9, 0.2])
    assert footnoted_lawful_flagged(y, risk, 0.5, texts) == {"footnoted": {"acceptable": 2, "flagged": 0.5},
                                                             "not_footnoted": {"acceptable": 2, "flagged": 0.5}}
    assert footnoted_lawful_flagged(y[3:4], risk[3:4], 0.5, texts[3:4])["footnoted"] == {"acceptable": 0, "flagged": None}
    monkeypatch.chdir(tmp_path)
    data = load_labeled(_write_sources(tmp_path, sample_rows, 3), group_col="group", negative=["acceptable"])
    result = train(data, TrainConfig(c_values=(4.0,), n_folds=3, source_holdout="folder"))
    acceptable = ~data.labels.astype(bool)
    marked = np.asarray(["*" in t or "※" in t for t in data.texts])
    for report in (result.cv_report, result.cv_report["across_sources"]):
        counts = report["footnoted_lawful"]
        assert counts["footnoted"]["acceptable"] == int((acceptable & marked).sum()) > 0
        assert counts["not_footnoted"]["acceptable"] == int((acceptable & ~marked).sum())
    medium = result.model.band_thresholds["medium"]
    expected = float((result.out_of_fold["risk"][acceptable & marked] >= medium).mean())
    assert result.cv_report["footnoted_lawful"]["footnoted"]["flagged"] == pytest.approx(expected, abs=1e-3)
