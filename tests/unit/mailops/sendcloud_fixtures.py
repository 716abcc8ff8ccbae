"""SendCloud HTTP conversations, as the API documents them (reference §2–§3)."""

from __future__ import annotations

DOMESTIC_BASE = "https://api.sendcloud.net/apiv2"
OVERSEAS_BASE = "https://api2.sendcloud.net/api"

AUTH_FAILED = {"result": False, "statusCode": 40005, "message": "认证失败", "info": {}}


def ok(info: dict) -> dict:
    return {"result": True, "statusCode": 200, "message": "请求成功", "info": info}


def error(code: int, message: str) -> dict:
    return {"result": False, "statusCode": code, "message": message, "info": {}}


DOMESTIC_USERINFO = ok({
    "avaliableBalance": 40.5, "balance": 44.0, "phone": "138", "quota": 2500,
    "regTime": "2013-03-28", "email": "a@b.c", "reputation": 50.26, "websiteAuthStatus": True,
    "accountType": "付费用户", "userName": "acme", "businessAuthStatus": False,
    "todayUsedQuota": 2})

OVERSEAS_USERINFO = {"result": True, "statusCode": 200, "message": "request was successful",
                     "info": {"restNum": 500, "restFlowSize": 12, "email": "a@b.c", "quota": 6000,
                              "todayUsedQuota": 10, "regTime": "2020-01-01", "reputation": -2.0,
                              "userName": "globex", "accountType": "paid user"}}

DKIM_VALUE = "k=rsa; p=" + "A" * 392

NEW_DOMAIN = {
    "name": "news.acme.example", "type": "普通", "verify": 0,
    "spf.domain": "news.acme.example", "spf.value": "v=spf1 include:spf.sendcloud.org ~all",
    "dkim.domain": "sendcloud._domainkey.news.acme.example", "dkim.value": DKIM_VALUE,
    "mx.domain": "news.acme.example", "mx.value": "mx.sendcloud.org.",
    "dmarc.domain": "_dmarc.news.acme.example",
    "dmarc.value": "v=DMARC1; p=none; rua=mailto:dmarc@sendcloud.org",
    "gmtCreated": "2026-11-26 10:00:00", "gmtUpdated": "2026-11-26 10:00:00"}

OLD_LAYOUT_DOMAIN = {
    "name": "notify.initech.example", "type": "普通", "verify": 15,
    "spf.domain": "notify.initech.example", "spf.value": "v=spf1 include:spf.sendcloud.org ~all",
    "dkim.domain": "mail._domainkey.notify.initech.example", "dkim.value": DKIM_VALUE,
    "mx.domain": "notify.initech.example", "mx.value": "mx.sendcloud.org",
    "verifyKey.domain": "notify.initech.example",
    "verifyKey.value": "sendcloud-site-verification=6b1f-1732600000000",
    "cname.domain": "sctrack.notify.initech.example", "cname.value": "track.sendcloud.net",
    "gmtCreated": "2026-11-26 10:00:00", "gmtUpdated": "2026-11-26 10:00:00"}


def domain_list(*domains: dict) -> dict:
    return ok({"dataList": list(domains), "count": len(domains)})


def api_user(name: str, email_type: str, domain: str, **tracking: int) -> dict:
    return {"name": name, "cType": "非测试", "emailType": email_type, "domainName": domain,
            "neteaseSender": "", "open": tracking.get("open", 1), "click": tracking.get("click", 0),
            "unsubscribe": tracking.get("unsubscribe", 1)}


def api_user_list(*users: dict) -> dict:
    return ok({"dataList": list(users), "count": len(users)})
