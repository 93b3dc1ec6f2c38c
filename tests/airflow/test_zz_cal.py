import time, textwrap
import pytest

def test_cal(airflow_db, tmp_path, monkeypatch, capfd):
    import airflow.settings as settings
    dags = tmp_path / "dags"; dags.mkdir()
    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(dags))
    monkeypatch.setattr(settings, "DAGS_FOLDER", str(dags))
    (dags / "d1.py").write_text(textwrap.dedent('''
        import pendulum
        from airflow.sdk import DAG, task
        with DAG("cal_d1", schedule=None, start_date=pendulum.datetime(2024,1,1)) as dag:
            @task
            def a(): return {"x": 1}
            @task
            def b(v): return v["x"] + 1
            b(a())
    '''))
    from airflow.dag_processing.dagbag import DagBag
    t = time.time()
    bag = DagBag(dag_folder=str(dags / "d1.py"), include_examples=False)
    dag = bag.get_dag("cal_d1")
    dr = dag.test()
    print("took", time.time() - t, dr.state)
    for ti in dr.get_task_instances():
        print(ti.task_id, ti.state, ti.try_number)
    out = capfd.readouterr()
    with capfd.disabled():
        print("OUT", len(out.out), len(out.err), out.out[:3000])
    assert dr.state == "success"
