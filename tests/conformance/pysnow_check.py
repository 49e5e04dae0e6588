#!/usr/bin/env python3
"""Drive the nowsync ServiceNow simulator with pysnow, an independent ServiceNow client.

Run by .ci/run in a venv with pysnow==0.7.17. Fails (exit 1) at the first disagreement between
what pysnow expects of a ServiceNow instance and what the simulator answers.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request
import warnings

import pysnow
import requests
from pysnow import QueryBuilder

warnings.simplefilter("ignore", DeprecationWarning)

CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


class Sim:
    def __init__(self, binary, users):
        self.data_dir = tempfile.mkdtemp(prefix="nowsync-pysnow-")
        self.proc = subprocess.Popen(
            [binary, "--data-dir", self.data_dir, "sim", "--snow-users", str(users)],
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit("nowsync sim printed no ready line")
        self.ready = json.loads(line)
        self.url = self.ready["servicenow_url"]
        self.host = self.url.split("://", 1)[1]
        self.user = self.ready["servicenow_user"]
        self.password = self.ready["servicenow_password"]

    def control(self, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method="POST" if data is not None else "GET")
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req) as resp:
            raw = resp.read()
            return json.loads(raw) if raw else None

    def client(self, user=None, password=None):
        return pysnow.Client(host=self.host, user=user or self.user, password=password or self.password, use_ssl=False)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


SYS_ID = re.compile(r"^[0-9a-f]{32}$")


def all_users(sim):
    r = sim.client().resource(api_path="/table/sys_user")
    return list(r.get(query={}, limit=100000).all())


@check
def values_are_strings_and_sys_ids_are_hex(sim):
    users = all_users(sim)
    expect(len(users) > 20000, f"expected the 25000 seeded users, got {len(users)}")
    for u in users[:200]:
        expect(SYS_ID.match(u["sys_id"]), f"sys_id {u['sys_id']!r}")
        for k, v in u.items():
            expect(isinstance(v, (str, dict)), f"{k} is {type(v).__name__}, not a string")
        expect(u["active"] in ("true", "false"), f"active {u['active']!r}")


@check
def query_builder_conditions_select_what_they_say(sim):
    users = all_users(sim)
    r = sim.client().resource(api_path="/table/sys_user")
    sample = next(u for u in users if u.get("email") and u["active"] == "true" and u["user_name"] != "admin")
    cases = [
        (QueryBuilder().field("user_name").equals(sample["user_name"]),
         lambda u: u["user_name"].lower() == sample["user_name"].lower()),
        (QueryBuilder().field("user_name").starts_with(sample["user_name"][:3]),
         lambda u: u["user_name"].lower().startswith(sample["user_name"][:3].lower())),
        (QueryBuilder().field("email").ends_with("@example.com").AND().field("active").equals("false"),
         lambda u: u["email"].lower().endswith("@example.com") and u["active"] == "false"),
        (QueryBuilder().field("user_name").contains(sample["user_name"][2:6]),
         lambda u: sample["user_name"][2:6].lower() in u["user_name"].lower()),
        (QueryBuilder().field("email").is_empty(), lambda u: u["email"] == ""),
        (QueryBuilder().field("user_name").equals([sample["user_name"], "admin"]),
         lambda u: u["user_name"].lower() in (sample["user_name"].lower(), "admin")),
        (QueryBuilder().field("active").equals("false").OR().field("user_name").equals("admin"),
         lambda u: u["active"] == "false" or u["user_name"] == "admin"),
        (QueryBuilder().field("user_name").equals("admin").NQ().field("user_name").equals(sample["user_name"]),
         lambda u: u["user_name"].lower() in ("admin", sample["user_name"].lower())),
    ]
    for qb, pred in cases:
        got = {u["sys_id"] for u in r.get(query=qb, limit=100000).all()}
        want = {u["sys_id"] for u in users if pred(u)}
        expect(got == want, f"query {qb}: simulator returned {len(got)} rows, pysnow-side filter {len(want)}")


@check
def order_descending(sim):
    r = sim.client().resource(api_path="/table/sys_user")
    qb = QueryBuilder().field("user_name").starts_with("a").AND().field("user_name").order_descending()
    names = [u["user_name"] for u in r.get(query=qb, limit=500).all()]
    expect(len(names) > 1, "no users starting with 'a'")
    expect(names == sorted(names, key=str.lower, reverse=True), "ORDERBYDESC not honoured")


@check
def create_update_delete(sim):
    r = sim.client().resource(api_path="/table/sys_user")
    created = r.create(payload={"user_name": "pysnow.check", "first_name": "Py", "last_name": "Snow",
                                "email": "pysnow.check@example.com", "active": True}).one()
    expect(SYS_ID.match(created["sys_id"]), "created sys_id")
    expect(created["active"] == "true", f"JSON true stored as {created['active']!r}")
    expect(created["user_name"] == "pysnow.check", "user_name")
    updated = r.update(query={"user_name": "pysnow.check"}, payload={"title": "Checker", "active": "false"}).one()
    expect(updated["title"] == "Checker", "update title")
    expect(updated["locked_out"] == "true", "active=false must lock the user out")
    got = r.get(query={"sys_id": created["sys_id"]}).one()
    expect(got["title"] == "Checker", "re-read after update")
    deleted = r.delete(query={"user_name": "pysnow.check"})
    expect(deleted == {"status": "record deleted"}, f"delete answered {deleted!r}")
    expect(r.get(query={"user_name": "pysnow.check"}).one_or_none() is None, "record still there after delete")


@check
def get_by_sys_id_and_404(sim):
    r = sim.client().resource(api_path="/table/sys_user")
    admin = r.get(query={"user_name": "admin"}).one()
    one = r.request("GET", path_append="/" + admin["sys_id"]).one()
    expect(one["user_name"] == "admin", "GET by sys_id")
    try:
        r.request("GET", path_append="/" + "0" * 32).one()
        raise AssertionError("GET of an unknown sys_id did not fail")
    except requests.HTTPError as e:
        expect(e.response.status_code == 404, f"unknown sys_id gave {e.response.status_code}")
        body = e.response.json()
        expect(body["error"]["message"] == "No Record found" and body["status"] == "failure", f"404 body {body}")


@check
def empty_result_is_empty_list(sim):
    r = sim.client().resource(api_path="/table/sys_user")
    expect(list(r.get(query={"user_name": "nobody.at.all"}).all()) == [], "empty query must give []")


@check
def legacy_query_follows_link_headers(sim):
    c = sim.client()
    total = c.query(table="sys_user", query={}).count
    rows = list(c.query(table="sys_user", query={}).get_multiple(fields=["sys_id"], order_by=["sys_id"]))
    expect(total > 20000, f"stats count {total}")
    expect(len(rows) == total, f"paged through {len(rows)} rows, count says {total}")
    ids = [r["sys_id"] for r in rows]
    expect(len(set(ids)) == len(ids), "duplicate rows across pages")
    expect(ids == sorted(ids), "ORDERBYsys_id across pages")


@check
def dot_walked_reference_query(sim):
    r = sim.client().resource(api_path="/table/sys_user_has_role")
    rows = list(r.get(query={"user.user_name": "admin", "role.name": "admin"}, fields=["sys_id", "role.name"]).all())
    expect(len(rows) >= 1, "admin has no admin role row via dot-walk")
    expect(rows[0]["role.name"] == "admin", f"dot-walked field {rows[0]}")


@check
def reference_link_shape(sim):
    r = sim.client().resource(api_path="/table/sys_user_has_role")
    row = list(r.get(query={"user.user_name": "admin"}, limit=1).all())[0]
    ref = row["user"]
    expect(isinstance(ref, dict) and SYS_ID.match(ref["value"]) and ref["link"].startswith(sim.url),
           f"reference {ref!r}")


@check
def bad_password_is_401(sim):
    r = sim.client(password="wrong-password").resource(api_path="/table/sys_user")
    try:
        list(r.get(query={}, limit=1).all())
        raise AssertionError("a wrong password was accepted")
    except requests.HTTPError as e:
        expect(e.response.status_code == 401, f"status {e.response.status_code}")
        expect(e.response.json()["error"]["message"] == "User is not authenticated", "401 message")
        expect("Basic" in e.response.headers.get("WWW-Authenticate", ""), "WWW-Authenticate")


@check
def accepted_empty_is_empty_content(sim):
    sim.control("/sim/faults", {"next": [{"kind": "accepted_empty"}]})
    r = sim.client().resource(api_path="/table/sys_user")
    try:
        list(r.get(query={}, limit=1).all())
        raise AssertionError("202 with an empty body was not reported")
    except pysnow.exceptions.EmptyContent:
        pass
    finally:
        sim.control("/sim/faults/clear", {})


@check
def rate_limited_429(sim):
    sim.control("/sim/faults", {"next": [{"kind": "status", "status": 429, "retry_after": "3"}]})
    r = sim.client().resource(api_path="/table/sys_user")
    try:
        list(r.get(query={}, limit=1).all())
        raise AssertionError("429 was not raised")
    except requests.HTTPError as e:
        expect(e.response.status_code == 429, f"status {e.response.status_code}")
        expect(e.response.headers.get("Retry-After") == "3", "Retry-After")
        expect(e.response.json()["error"]["message"] == "Rate limit exceeded", "429 message")
    finally:
        sim.control("/sim/faults/clear", {})


@check
def oauth_password_grant(sim):
    accounts = sim.control("/sim/accounts")
    oauth = next(a for a in accounts if "oauth_client_id" in a)
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    c = pysnow.OAuthClient(client_id=oauth["oauth_client_id"], client_secret=oauth["oauth_client_secret"],
                           host=sim.host, use_ssl=False)
    token = c.generate_token(sim.user, sim.password)
    expect(token.get("access_token") and token.get("refresh_token"), f"token {token}")
    c.set_token(token)
    r = c.resource(api_path="/table/sys_user")
    expect(r.get(query={"user_name": "admin"}).one()["user_name"] == "admin", "Bearer request")


@check
def stats_count_requests(sim):
    sim.control("/sim/stats/reset", {})
    r = sim.client().resource(api_path="/table/cmn_department")
    list(r.get(query={}, limit=5).all())
    stats = sim.control("/sim/stats")
    expect(stats["requests"]["GET"] == 1, f"stats {stats}")
    expect(stats["by_table"]["cmn_department"]["GET"] == 1, f"by_table {stats['by_table']}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--users", type=int, default=25000)
    args = ap.parse_args()
    sim = Sim(args.binary, args.users)
    passed = failed = 0
    try:
        for fn in CHECKS:
            try:
                fn(sim)
                print(f"ok     {fn.__name__}")
                passed += 1
            except Exception as e:  # report every disagreement, then fail
                print(f"FAILED {fn.__name__}: {type(e).__name__}: {e}")
                failed += 1
    finally:
        sim.stop()
    print(f"pysnow: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
