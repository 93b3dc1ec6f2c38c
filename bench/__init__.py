"""Benchmarks of airflow-provider-translate5 against the bundled translate5 simulator (issue 6).

Run ``python -m bench`` (or ``make bench``) to run all of them and regenerate ``docs/performance.md``;
``python -m bench transfers|parse|coalescing|scale`` runs one, ``--quick`` a fast smoke variant. The
simulator always runs as a separate process, so its CPU and memory never count against the measured one.
Scratch data lives under ``.bench/`` (git-ignored); large files are deleted as soon as they are measured.
"""
