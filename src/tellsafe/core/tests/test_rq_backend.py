"""The scale-out path: tasks through Redis (django-tasks-rq) and `tellsafe worker` running
them, end to end in separate processes, as on a multi-machine deployment."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REDIS_URL = os.environ.get("TELLSAFE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TELLSAFE = str(Path(sys.executable).parent / "tellsafe")


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def test_tasks_go_through_redis_and_the_worker_runs_them(tmp_path):
    if not _redis_up():
        pytest.fail(f"Redis is needed at {REDIS_URL} (CI starts it)")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tellsafe.config.settings_test",
        "TELLSAFE_TASK_BACKEND": "rq",
        "TELLSAFE_REDIS_URL": REDIS_URL,
        "TELLSAFE_DATA_DIR": str(tmp_path),
        "TELLSAFE_LOG_LEVEL": "WARNING",
    }
    env.pop("DATABASE_URL", None)

    def run(*args: str) -> str:
        done = subprocess.run(
            [TELLSAFE, *args], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    run("migrate", "-v0")
    task_id = (
        run(
            "shell",
            "-c",
            "from tellsafe.core.tasks import clear_expired_sessions;"
            "print(clear_expired_sessions.enqueue().id)",
        )
        .strip()
        .splitlines()[-1]
    )
    ready = run("shell", "-c", "import django_rq; print(django_rq.get_queue('default').count)")
    assert ready.strip().splitlines()[-1] == "1"
    run("worker", "--batch", "--verbosity", "0")
    status = run(
        "shell",
        "-c",
        "from django_tasks import default_task_backend as b;"
        f"r = b.get_result('{task_id}');"
        "print(r.errors[-1].traceback if r.errors else '');"
        "print(r.status, r.return_value if r.status == 'SUCCESSFUL' else '')",
    )
    assert status.strip().splitlines()[-1] == "SUCCESSFUL 0", status
