"""Structured JSON logs."""

from __future__ import annotations

import json
import logging

from api.web.logs import JsonFormatter
from api.web.middleware import request_id_var


def test_json_formatter_keeps_extras_and_request_id() -> None:
    record = logging.makeLogRecord(
        {"name": "sandan.access", "levelno": logging.INFO, "levelname": "INFO", "msg": "request"}
    )
    record.status = 201
    token = request_id_var.set("req-1")
    try:
        line = JsonFormatter().format(record)
    finally:
        request_id_var.reset(token)
    entry = json.loads(line)
    assert entry["message"] == "request"
    assert entry["level"] == "info"
    assert entry["request_id"] == "req-1"
    assert entry["status"] == 201
