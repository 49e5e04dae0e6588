#!/usr/bin/env python3
"""Drive the nowsync ServiceNow simulator with pysnc, ServiceNow's own Python client.

Run by .ci/run in a venv with pysnc from PyPI. pysnc refuses plain-http instances, so the
simulator serves HTTPS (`nowsync sim --tls-ca FILE`) and pysnc trusts that CA (`verify=FILE`).
What pysnc relies on, and so what is checked: `sysparm_display_value=all` records (every field a
`{value, display_value}` pair), `X-Total-Count` on every page of its offset paging, the Batch API
(`update_multiple`, `delete_multiple`, and queries too long for a URL), its errors, and its
reading of a quota-cancelled page. Fails (exit 1) at the first disagreement.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
import ssl

from pysnc import ServiceNowClient
from pysnc.exceptions import RoleException

CHECKS = []
ADMIN_SYS_ID = "6816f79cc0a8016401c5a33be04be441"


def check(fn):
    CHECKS.append(fn)
    return fn


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


class Sim:
    def __init__(self, binary, users):
        self.dir = tempfile.mkdtemp(prefix="nowsync-pysnc-")
        self.ca = os.path.join(self.dir, "ca.pem")
        self.proc = subprocess.Popen(
            [binary, "--data-dir", self.dir, "sim", "--snow-users", str(users), "--tls-ca", self.ca],
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit("nowsync sim printed no ready line")
        self.ready = json.loads(line)
        self.url = self.ready["servicenow_url"]
        expect(self.url.startswith("https://"), f"HTTPS expected: {self.url}")
        expect(self.ready["servicenow_ca_file"] == self.ca, f"ready line {self.ready}")
        self.user = self.ready["servicenow_user"]
        self.password = self.ready["servicenow_password"]
        self.context = ssl.create_default_context(cafile=self.ca)

    def control(self, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method="POST" if data is not None else "GET")
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, context=self.context) as resp:
            raw = resp.read()
            return json.loads(raw) if raw else None

    def client(self, user=None, password=None):
        auth = (user or self.user, password or self.password)
        return ServiceNowClient(self.url, auth, verify=self.ca)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def count(sim, table, query):
    with urllib.request.urlopen(
        urllib.request.Request(
            f"{sim.url}/api/now/stats/{table}?sysparm_count=true&sysparm_query={urllib.parse.quote(query)}",
            headers={"Authorization": basic(sim)},
        ),
        context=sim.context,
    ) as resp:
        return int(json.loads(resp.read())["result"]["stats"]["count"])


def basic(sim):
    import base64
    return "Basic " + base64.b64encode(f"{sim.user}:{sim.password}".encode()).decode()


@check
def display_value_all_gives_value_and_display_pairs(sim):
    gr = sim.client().GlideRecord("sys_user")
    expect(gr.get("user_name", "admin"), "admin found by user_name")
    expect(gr.get_value("sys_id") == ADMIN_SYS_ID, f"admin sys_id {gr.get_value('sys_id')}")
    expect(gr.get_display_value("name") == "System Administrator", "admin display name")
    expect(gr.get_value("active") == "true", f"active {gr.get_value('active')!r}")
    dept = sim.client().GlideRecord("sys_user")
    dept.add_not_null_query("department")
    dept.query()
    expect(dept.next(), "a user with a department")
    value, shown = dept.get_value("department"), dept.get_display_value("department")
    expect(len(value) == 32 and shown and shown != value, f"reference as (value, display): {value!r}, {shown!r}")


@check
def offset_paging_reads_every_row_once(sim):
    gr = sim.client().GlideRecord("sys_user", batch_size=7)
    gr.order_by("sys_id")
    gr.query()
    total = gr.get_row_count()
    expect(total == count(sim, "sys_user", ""), f"X-Total-Count {total}")
    ids = [r.get_value("sys_id") for r in gr]
    expect(len(ids) == total, f"read {len(ids)} of {total}")
    expect(len(set(ids)) == len(ids), "no row twice")
    expect(ids == sorted(ids), "ORDERBYsys_id honoured")


@check
def insert_read_update_delete(sim):
    gr = sim.client().GlideRecord("sys_user")
    gr.initialize()
    gr.user_name = "pysnc.check"
    gr.first_name = "Py"
    gr.last_name = "Snc"
    sys_id = gr.insert()
    expect(sys_id and len(str(sys_id)) == 32, f"insert gave {sys_id!r}")
    again = sim.client().GlideRecord("sys_user")
    expect(again.get(str(sys_id)), "get by sys_id")
    expect(again.get_value("name") == "Py Snc", f"name {again.get_value('name')!r}")
    again.title = "Checker"
    again.update()
    third = sim.client().GlideRecord("sys_user")
    third.get(str(sys_id))
    expect(third.get_value("title") == "Checker", "update kept")
    expect(third.delete(), "delete")
    expect(not sim.client().GlideRecord("sys_user").get(str(sys_id)), "gone after delete")


@check
def batch_update_multiple_and_delete_multiple(sim):
    c = sim.client()
    for i in range(6):
        gr = c.GlideRecord("sys_user")
        gr.initialize()
        gr.user_name = f"pysnc.batch{i}"
        gr.insert()
    sim.control("/sim/stats/reset", {})
    gr = c.GlideRecord("sys_user")
    gr.add_query("user_name", "STARTSWITH", "pysnc.batch")
    gr.query()
    for r in gr:
        r.title = "Batched"
    expect(gr.update_multiple(), "update_multiple")
    stats = sim.control("/sim/stats")
    expect(stats["batches"] >= 1, f"update_multiple used the Batch API: {stats}")
    expect(stats["by_table"]["sys_user"]["PATCH"] == 6, f"six PATCH items: {stats['by_table']}")
    expect(count(sim, "sys_user", "user_nameSTARTSWITHpysnc.batch^title=Batched") == 6, "all six updated")
    gr = c.GlideRecord("sys_user")
    gr.add_query("user_name", "STARTSWITH", "pysnc.batch")
    expect(gr.delete_multiple(), "delete_multiple")
    expect(count(sim, "sys_user", "user_nameSTARTSWITHpysnc.batch") == 0, "all six deleted")


@check
def a_query_too_long_for_a_url_goes_through_the_batch_api(sim):
    c = sim.client()
    everyone = c.GlideRecord("sys_user", batch_size=500)
    everyone.query()
    names = [n for n in (r.get_value("user_name") for r in everyone) if n][:400]
    expect(len(names) == 400, f"{len(names)} user names to look up")
    sim.control("/sim/stats/reset", {})
    gr = c.GlideRecord("sys_user", batch_size=1000)
    gr.add_query("user_name", "IN", ",".join(names + [f"nobody.{i}.example" for i in range(300)]))
    gr.query()
    got = {r.get_value("user_name") for r in gr}
    expect(got == set(names), f"{len(got)} rows for {len(names)} names")
    expect(sim.control("/sim/stats")["batches"] >= 1, "pysnc sent the long query as a batch item")


@check
def a_write_refused_by_acl_is_a_role_exception(sim):
    gr = sim.client("snow.reader", "Reader-Passw0rd-1").GlideRecord("sys_user")
    gr.initialize()
    gr.user_name = "pysnc.reader"
    try:
        gr.insert()
    except RoleException:
        return
    raise AssertionError("a 403 must surface as pysnc's RoleException")


@check
def a_quota_cancelled_page_parses_and_paging_reads_on_from_its_end(sim):
    # The instance answers 200 with the rows it had and the error after them (spec §13 #1);
    # pysnc takes the rows and asks for the next page from where they ended.
    total = count(sim, "sys_user", "")
    sim.control("/sim/faults", {"quota_max_rows": 3})
    try:
        gr = sim.client().GlideRecord("sys_user", batch_size=10)
        gr.order_by("sys_id")
        gr.query()
        ids = [r.get_value("sys_id") for r in gr]
    finally:
        sim.control("/sim/faults/clear", {})
    expect(len(ids) == total and len(set(ids)) == total, f"read {len(ids)} ({len(set(ids))} distinct) of {total}")


def main():
    # requests lets these override a session's `verify` (the simulator's CA) on every request.
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        os.environ.pop(name, None)
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--users", type=int, default=600)
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
    print(f"pysnc: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
