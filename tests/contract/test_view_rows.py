"""What the translate5 view's one request per refresh (``GET /editor/task`` with ``filter id in``) must give:
per task its name, languages, state, workflow step, segment counts and its jobs (``users``: who, which step,
which state, which deadline), as the single task's row gives them.

The recordings show ``users`` listing the jobs in a single task's row (§48) and present but empty in a list
row before any assignment (§30); a list row after an assignment was not recorded, so this test states the
expectation for the next run against a real server.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from contract_support import Cleanup, T5Http, describe, import_owned_task

#: The job fields the view shows.
JOB_FIELDS = ("id", "userGuid", "login", "longUserName", "role", "workflowStepName", "state", "deadlineDate")
#: The task fields the view shows (segment counts: done of editable).
TASK_FIELDS = (
    "taskName",
    "sourceLang",
    "targetLang",
    "state",
    "workflowStepName",
    "projectId",
    "segmentCount",
    "segmentEditableCount",
    "segmentFinishCount",
    "deadlineDate",
)


def test_a_task_list_row_carries_the_jobs_and_counts_of_the_single_row(
    t5_http: T5Http, cleanup: Cleanup, unique_name: Callable[[str], str], job_user_guid: str
) -> None:
    task = import_owned_task(t5_http, cleanup, unique_name("view"), file_name="about.xlf")
    task_id = str(task["id"])
    created = t5_http.create_job(task_id, job_user_guid)
    assert created.status_code == 200, describe(created)
    job_id = created.json()["rows"]["id"]
    deadline = t5_http.put(
        f"/editor/task/{task_id}/job/{job_id}",
        data={"data": json.dumps({"deadlineDate": "2027-01-15 17:00:00"})},
    )
    assert deadline.status_code == 200, describe(deadline)

    single = t5_http.task(task_id)
    [row] = t5_http.list_tasks([{"operator": "in", "value": [int(task_id)], "property": "id"}])["rows"]

    for field in TASK_FIELDS:
        assert row[field] == single[field], field
    assert int(row["segmentEditableCount"]) > 0
    assert isinstance(row["users"], list), f"no job list in the task list row: {sorted(row)}"
    assert [job["id"] for job in row["users"]] == [job["id"] for job in single["users"]] == [job_id]
    for field in JOB_FIELDS:
        assert row["users"][0][field] == single["users"][0][field], field
    assert row["users"][0]["deadlineDate"] == "2027-01-15 17:00:00"
