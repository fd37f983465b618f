"""Benchmarks, run as scripts (``python bench/signin.py``); a package so that the tests can
import the shared server launcher as ``bench.harness``."""
