#!/usr/bin/env python3
"""Drive the nowsync Graph simulator with msgraph-sdk, Microsoft's own Graph SDK for Python.

Run by .ci/run in a venv with msgraph-sdk, either through the ignored Rust test
`graph_msgraph_sdk_conformance` (which starts a simulator and passes --ready) or with
--binary target/debug/nowsync (starts `nowsync sim` and reads its ready line). Fails (exit 1) at
the first thing the SDK rejects or reads differently from what the simulator meant.

azure-identity refuses http:// authorities (spec graph.md §11.1), so the token is requested from
the simulator's token endpoint with httpx and handed to the SDK by a static token provider.
"""
import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import uuid

import httpx
from kiota_abstractions.authentication import (
    AccessTokenProvider, AllowedHostsValidator, BaseBearerTokenAuthenticationProvider)
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.group import Group
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.password_profile import PasswordProfile
from msgraph.generated.models.user import User
from msgraph.generated.users.delta.delta_request_builder import DeltaRequestBuilder
from msgraph.generated.users.users_request_builder import UsersRequestBuilder
from msgraph_core.tasks.page_iterator import PageIterator

CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


class StaticToken(AccessTokenProvider):
    def __init__(self, token):
        self.token = token

    async def get_authorization_token(self, uri, additional_authentication_context={}):
        return self.token

    def get_allowed_hosts_validator(self):
        return AllowedHostsValidator(["127.0.0.1", "localhost"])


class World:
    def __init__(self, ready):
        self.ready = ready
        self.origin = ready["authority_url"]
        token = httpx.post(
            f"{self.origin}/{ready['tenant_id']}/oauth2/v2.0/token",
            data={"grant_type": "client_credentials", "client_id": ready["client_id"],
                  "client_secret": ready["client_secret"], "scope": "https://graph.microsoft.com/.default"})
        expect(token.status_code == 200, f"token endpoint: {token.status_code} {token.text}")
        body = token.json()
        expect(body["token_type"] == "Bearer" and body["expires_in"] == 3599, f"token body {body}")
        adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(StaticToken(body["access_token"])))
        # No trailing slash: httpx's base_url would add one and the SDK would send //users.
        adapter.base_url = ready["graph_url"]
        self.client = GraphServiceClient(request_adapter=adapter)
        self.user_count = None

    def faults(self, **faults):
        r = httpx.post(f"{self.origin}/sim/faults", json=faults)
        expect(r.status_code == 200, f"/sim/faults: {r.status_code} {r.text}")


async def all_pages(builder_get, with_url):
    page = await builder_get()
    pages, items = 0, []
    while True:
        pages += 1
        items += page.value or []
        if not page.odata_next_link:
            return items, pages, page
        page = await with_url(page.odata_next_link).get()


@check
async def users_list_with_paging(w):
    qp = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
        select=["id", "userPrincipalName", "mail", "accountEnabled", "department"], top=100)
    cfg = RequestConfiguration(query_parameters=qp)
    items, pages, _ = await all_pages(lambda: w.client.users.get(cfg), w.client.users.with_url)
    expect(pages >= 2, f"expected several pages, got {pages}")
    ids = [u.id for u in items]
    expect(len(ids) == len(set(ids)), "duplicate users across pages")
    expect(all(u.user_principal_name for u in items), "every user has a UPN")
    expect(any(u.account_enabled is False for u in items), "some users are disabled")
    expect(any("#EXT#" in u.user_principal_name for u in items), "some guests")
    if "users" in w.ready:
        expect(len(items) == w.ready["users"], f"{len(items)} users listed, {w.ready['users']} generated")
    w.user_count = len(items)
    # msgraph-core's PageIterator follows the same nextLinks.
    first = await w.client.users.get(cfg)
    seen = []

    def keep(u):
        seen.append(u.id)
        return True

    await PageIterator(first, w.client.request_adapter).iterate(keep)
    expect(len(seen) == len(items), f"PageIterator saw {len(seen)} of {len(items)}")


@check
async def delta_round_then_incremental(w):
    qp = DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters(
        select=["id", "userPrincipalName", "accountEnabled", "manager"])
    w.faults(empty_delta_pages=True, delta_page_size=60)
    items, pages, last = await all_pages(
        lambda: w.client.users.delta.get(RequestConfiguration(query_parameters=qp)), w.client.users.delta.with_url)
    w.faults()
    expect(last.odata_delta_link and last.odata_delta_link.startswith(w.origin), f"deltaLink {last.odata_delta_link}")
    expect(len({u.id for u in items}) == w.user_count, f"delta saw {len(items)} users, list {w.user_count}")
    expect(any("manager@delta" in (u.additional_data or {}) for u in items), "manager@delta in additional_data")
    victim = items[0].id
    await w.client.users.by_user_id(victim).delete()
    changes = await w.client.users.delta.with_url(last.odata_delta_link).get()
    removed = [u for u in changes.value if u.id == victim]
    expect(removed and removed[0].additional_data.get("@removed") == {"reason": "changed"},
           f"soft delete as @removed changed: {[u.additional_data for u in removed]}")
    deleted = await w.client.directory.deleted_items.graph_user.get()
    expect(any(d.id == victim for d in deleted.value), "the user is in deletedItems")


@check
async def group_members_and_group_delta(w):
    groups = await w.client.groups.get()
    expect(groups.value and all(isinstance(g, Group) for g in groups.value), "groups deserialize")
    with_members = None
    for g in groups.value:
        members = await w.client.groups.by_group_id(g.id).members.get()
        if members.value:
            with_members = (g, members.value)
            break
    expect(with_members, "some group has members")
    g, members = with_members
    expect(all(type(m).__name__ in ("User", "Group") for m in members), f"typed members {members[:3]}")
    page = await w.client.groups.delta.get()
    while page.odata_next_link:
        page = await w.client.groups.delta.with_url(page.odata_next_link).get()
    expect(page.odata_delta_link, "groups delta ends with a deltaLink")


@check
async def app_role_assigned_to(w):
    sp_id = w.ready["service_principal_id"]
    sp = await w.client.service_principals.by_service_principal_id(sp_id).get()
    expect(sp.id == sp_id and sp.app_id, "service principal by id")
    again = await w.client.service_principals_with_app_id(sp.app_id).get()
    expect(again.id == sp_id, "servicePrincipals(appId='...')")
    got = await w.client.service_principals.by_service_principal_id(sp_id).app_role_assigned_to.get()
    expect(got.value, "assignments exist")
    for a in got.value:
        expect(isinstance(a.principal_id, uuid.UUID) and isinstance(a.resource_id, uuid.UUID)
               and isinstance(a.app_role_id, uuid.UUID), f"GUID fields parse: {a}")
        expect(a.principal_type in ("User", "Group", "ServicePrincipal"), a.principal_type)


@check
async def user_create_update_delete(w):
    domain = None
    users = await w.client.users.get()
    for u in users.value:
        if "#EXT#" not in u.user_principal_name:
            domain = u.user_principal_name.split("@")[1]
            break
    new = User(account_enabled=True, display_name="Conformance Zoë", mail_nickname="conformance.zoe",
               user_principal_name=f"conformance.zoe@{domain}", department="Sales",
               password_profile=PasswordProfile(force_change_password_next_sign_in=True, password="x!Y9-long"))
    created = await w.client.users.post(new)
    expect(created.id and created.display_name == "Conformance Zoë", f"created {created}")
    await w.client.users.by_user_id(created.id).patch(User(department="Legal", job_title="Counsel"))
    fetched = await w.client.users.by_user_id(created.id).get(RequestConfiguration(
        query_parameters=UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(select=["id", "department", "jobTitle"])))
    expect(fetched.department == "Legal" and fetched.job_title == "Counsel", f"patched {fetched}")
    await w.client.users.by_user_id(created.id).delete()
    try:
        await w.client.users.by_user_id(created.id).get()
        expect(False, "a deleted user is gone")
    except ODataError as e:
        expect(e.response_status_code == 404 and e.error.code == "Request_ResourceNotFound", f"{e.error.code}")


@check
async def throttling_is_retried_by_the_sdk(w):
    w.faults(throttle_next=2, retry_after="0.2")
    users = await w.client.users.get()
    expect(users.value, "users after a 429 storm")
    stats = httpx.get(f"{w.origin}/sim/stats").json()
    expect(stats["throttled_429"] >= 2, f"stats {stats}")
    w.faults()


def start_binary(binary):
    proc = subprocess.Popen([binary, "--data-dir", tempfile.mkdtemp(prefix="nowsync-msgraph-"), "sim"],
                            stdout=subprocess.PIPE, text=True)
    return proc, json.loads(proc.stdout.readline())


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ready", help="the simulator's ready JSON")
    p.add_argument("--binary", help="a nowsync binary: run `nowsync sim` and read its ready line")
    a = p.parse_args()
    proc = None
    if a.binary:
        proc, ready = start_binary(a.binary)
    else:
        ready = json.loads(a.ready)
    failed = 0
    try:
        w = World(ready)
        for fn in CHECKS:
            try:
                await fn(w)
                print(f"ok   {fn.__name__}")
            except Exception as e:  # report every check, then fail
                failed += 1
                print(f"FAIL {fn.__name__}: {type(e).__name__}: {e}")
    finally:
        if proc:
            proc.terminate()
    if failed:
        print(f"{failed} msgraph-sdk check(s) failed")
        sys.exit(1)
    print("all msgraph-sdk checks passed")


if __name__ == "__main__":
    asyncio.run(main())
