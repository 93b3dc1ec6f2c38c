# mypy: disable-error-code="index"
# (upload.output["items"]: Airflow resolves an XComArg item at run time; its type does not declare indexing)
"""The README's DAG: one page through the provider's building blocks, nothing else.

Upload the page as a project with a task per target language, wait for the import, wait until translators
and reviewers are done, export the translated files. The README shows the part between the markers (a test
keeps them equal: tests/test_docs_snippets.py); tests/airflow/test_readme_dag.py runs this file against the
simulator, with local files instead of the ``s3://`` URIs.
"""

# [START readme_dag]
from airflow.sdk import dag

from airflow_provider_translate5.operators import Translate5ExportOperator, Translate5UploadTaskOperator
from airflow_provider_translate5.sensors import Translate5ImportSensor, Translate5WorkflowEndedSensor


@dag(schedule=None)
def translate_product_page() -> None:
    upload = Translate5UploadTaskOperator(
        task_id="upload",
        source="s3://cms@content-drop/product-page.html",
        task_name="Product page",
        source_lang="en",
        target_lang=["de", "fr"],
    )
    # The ids flow from step to step: the waits and the export never look them up again.
    imported = Translate5ImportSensor(
        task_id="imported", translate5_task_ids=upload.output["task_ids"], deferrable=True
    )
    done = Translate5WorkflowEndedSensor(
        task_id="translated", translate5_task_ids=upload.output["task_ids"], deferrable=True
    )
    export = Translate5ExportOperator(
        task_id="export",
        items=upload.output["items"],
        destination="s3://cms@content-import/product-page/",
        format="filetranslation",
    )
    upload >> imported >> done >> export


translate_product_page()
# [END readme_dag]
