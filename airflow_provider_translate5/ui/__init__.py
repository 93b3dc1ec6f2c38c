"""The translate5 view inside the Airflow UI: an Airflow plugin the provider registers (API server only).

``plugin`` is what Airflow imports in every process that loads plugins (task runners too), so it imports
nothing heavy; the FastAPI app (``app``), the records of a run (``records``), the live look at translate5
(``overview``) and the HTML (``page``) load when the API server first serves the view. Operators and sensors
never import this package.
"""
