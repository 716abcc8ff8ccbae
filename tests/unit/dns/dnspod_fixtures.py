"""DNSPod API 3.0 conversation fixtures: constants and a `responses` stub at the HTTP boundary.

The official SDK signs and sends the requests; the stub answers per ``X-TC-Action`` from a
queue and records every call, so each test can pin the exact conversation.
"""

from __future__ import annotations

import json
from collections import defaultdict, deque

import requests
import responses

ENDPOINT = "dnspod.tencentcloudapi.com"
URL = f"https://{ENDPOINT}/"
ZONE = "acme.example"
SECRET_ID = "AKIDunitTestSecretId"
SECRET_KEY = "unitTestSecretKeyValue"

DKIM_VALUE = "k=rsa;p=" + "A" * 300


def item(
    record_id: int,
    name: str,
    rtype: str,
    value: str,
    mx: int = 0,
    ttl: int = 600,
    status: str = "ENABLE",
) -> dict:
    return {
        "RecordId": record_id,
        "Name": name,
        "Type": rtype,
        "Value": value,
        "MX": mx,
        "TTL": ttl,
        "Line": "默认",
        "LineId": "0",
        "Status": status,
        "Weight": None,
        "MonitorStatus": "",
        "Remark": "",
        "UpdatedOn": "2026-11-26 10:00:00",
        "DefaultNS": False,
    }


def record_list(items: list[dict], total: int | None = None) -> dict:
    count = len(items) if total is None else total
    return {
        "RecordCountInfo": {"SubdomainCount": count, "ListCount": len(items), "TotalCount": count},
        "RecordList": items,
    }


def error(code: str, message: str) -> dict:
    return {"Error": {"Code": code, "Message": message}}


NO_DATA_OF_RECORD = error("ResourceNotFound.NoDataOfRecord", "记录列表为空")
RECORD_EXISTS = error("InvalidParameter.DomainRecordExist", "记录已经存在，无需再次添加")
RECORD_ID_INVALID = error("InvalidParameter.RecordIdInvalid", "记录ID错误")
RATE_LIMITED = error("RequestLimitExceeded", "请求的次数超过了频率限制")
AUTH_FAILED = error("AuthFailure.SecretIdNotFound", "SecretId不存在")
FREE_DOMAIN = {"DomainInfo": {"Domain": ZONE, "Grade": "DP_Free", "TTL": 600}}
PAID_DOMAIN = {"DomainInfo": {"Domain": ZONE, "Grade": "DP_Ultra", "TTL": 600}}
CREATED = {"RecordId": 9001}
MODIFIED = {"RecordId": 1001}
DELETED: dict = {}
DOMAIN_LIST = {
    "DomainCountInfo": {"AllTotal": 2},
    "DomainList": [{"Name": "example", "Punycode": "example"}, {"Name": ZONE, "Punycode": ZONE}],
}


class DropConnection(Exception):
    """Marker: answer this call by breaking the connection (the write may have happened)."""


class DnspodStub:
    """Queue answers per action; record (action, params) of every request."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.answers: dict[str, deque] = defaultdict(deque)
        self.calls: list[tuple[str, dict]] = []
        mock.add_callback(responses.POST, URL, callback=self._answer)

    def on(self, action: str, *answers: dict | type[DropConnection]) -> DnspodStub:
        self.answers[action].extend(answers)
        return self

    def actions(self) -> list[str]:
        return [action for action, _ in self.calls]

    def params(self, action: str) -> list[dict]:
        return [params for called, params in self.calls if called == action]

    def _answer(self, request: requests.PreparedRequest):
        action = request.headers["X-TC-Action"]
        params = json.loads(request.body or b"{}")
        self.calls.append((action, params))
        if not self.answers[action]:
            raise AssertionError(f"unexpected call {action} {params}")
        answer = self.answers[action].popleft()
        if answer is DropConnection:
            raise requests.ConnectionError("connection reset by peer")
        body = {"Response": {**answer, "RequestId": f"req-{len(self.calls)}"}}
        return 200, {"Content-Type": "application/json"}, json.dumps(body)
