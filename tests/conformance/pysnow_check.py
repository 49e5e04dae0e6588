"""pysnow 0.7.17 against the ServiceNow simulator: CRUD, QueryBuilder, streaming, legacy API with
Link following and .count, OAuth password grant, 404/401 surfacing.

Usage: cargo run --example sim_snow -- 18099 30 > /tmp/sim.json &
       python3 -m venv /tmp/venv && /tmp/venv/bin/pip install pysnow==0.7.17
       /tmp/venv/bin/python tests/conformance/pysnow_check.py /tmp/sim.json
"""
import json, os, sys, warnings
os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
warnings.simplefilter("ignore")
import pysnow
from pysnow import QueryBuilder
cfg = json.load(open(sys.argv[1] if len(sys.argv) > 1 else "/tmp/sim.json"))
host = cfg["servicenow_url"].replace("http://", "")
c = pysnow.Client(host=host, user=cfg["servicenow_user"], password=cfg["servicenow_password"], use_ssl=False)
users = c.resource(api_path="/table/sys_user")
all_users = users.get(query={}).all()
print("users", len(all_users))
qb = QueryBuilder().field("user_name").starts_with("a").AND().field("active").equals("true").OR().field("email").ends_with("@example.com")
print("qb", len(users.get(query=qb, fields=["user_name"]).all()))
users = c.resource(api_path="/table/sys_user")
created = users.create(payload={"user_name": "py.snow", "first_name": "Py", "last_name": "Snow", "active": True}).one()
print("created", created["sys_id"], created["name"], created["department"])
upd = users.update(query={"user_name": "py.snow"}, payload={"title": "Tester", "active": False})
print("updated", upd["title"], upd["locked_out"])
one = users.get(query={"user_name": "py.snow"}).one()
print("one", one["user_name"])
r = users.get(request_params={}, query="user_name=py.snow", stream=True)
print("stream first", r.first()["user_name"])
print("deleted", users.delete(query={"user_name": "py.snow"}))
try:
    users.get(query={"user_name": "py.snow"}).one()
except pysnow.exceptions.NoResults:
    print("gone: NoResults")
# by id via path_append
rid = all_users[0]["sys_id"]
print("by id", users.get(query={}).all()[0]["sys_id"] == rid, users.request("GET", path_append="/" + rid).one()["sys_id"] == rid)
# legacy API: Link following + count
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    q = c.query(table="sys_user", query={"active": "true"})
    rows = list(q.get_multiple(fields=["sys_id"], order_by=["-user_name"]))
    print("legacy rows", len(rows), "count", q.count)
# OAuth
from pysnow import OAuthClient
oc = OAuthClient(client_id=cfg["oauth_client_id"], client_secret=cfg["oauth_client_secret"], host=host, use_ssl=False)
tok = oc.generate_token(cfg["servicenow_user"], cfg["servicenow_password"])
oc.set_token(tok)
print("oauth users", len(oc.resource(api_path="/table/sys_user").get(query={}, limit=5).all()))
# errors
try:
    users.request("GET", path_append="/" + "0" * 32).one()
except Exception as e:
    print("404 ->", type(e).__name__)
bad = pysnow.Client(host=host, user="admin", password="nope", use_ssl=False)
try:
    bad.resource(api_path="/table/sys_user").get(query={}).all()
except Exception as e:
    print("401 ->", type(e).__name__, str(e)[:60])
