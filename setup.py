"""Build the optional compiled scoring kernel; everything else is in pyproject.toml.

The kernel (adcheck/_fastscore.c, plain C against the CPython API) is built by pip at install time
with the machine's C compiler. It is optional: if it cannot be built, adcheck scores with its NumPy
path, which gives the same probabilities, only slower.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "adcheck._fastscore",
            sources=["adcheck/_fastscore.c"],
            extra_compile_args=["-O3", "-fno-fast-math", "-std=c99"],
            optional=True,
        )
    ]
)
