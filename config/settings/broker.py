"""Choose the Celery broker: REDIS_URL when given, else a local Redis that answers, else a folder."""

import socket
from pathlib import Path


def redis_answers(host: str = "127.0.0.1", port: int = 6379, timeout: float = 0.3) -> bool:
    """True when something speaks the Redis protocol on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def broker_settings(redis_url: str | None, var_dir: Path) -> tuple[str, dict]:
    """Return (broker_url, transport_options).

    Zero configuration must still fire timers, so without Redis the embedded
    kombu filesystem transport keeps the queue in ``var/broker``.
    """
    if redis_url:
        return redis_url, {}
    if redis_answers():
        return "redis://127.0.0.1:6379/0", {}
    folder = var_dir / "broker"
    for sub in ("out", "processed"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    options = {
        "data_folder_in": str(folder / "out"),
        "data_folder_out": str(folder / "out"),
        "processed_folder": str(folder / "processed"),
        "store_processed": False,
    }
    return "filesystem://", options
