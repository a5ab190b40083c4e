"""Builds the cffi extension of the C SDK at install time; everything else is in pyproject.toml."""

from setuptools import setup

setup(cffi_modules=["sdk_bindings/_cffi_build.py:ffibuilder"])
