#!/usr/bin/env python3
"""gw-audit-crs.py: replay the OWASP CRS regression tests through gw-audit.

    python3 tests/helpers/gw-audit-crs.py [-a gw-audit] [-r rules]
        [-p 1,2,3,4] [-f 930,931,...] [--min-detect FAMILY=PCT...]
        [--max-fp PCT] [--json] CRS_TESTS_DIR

Each go-ftw test stage becomes one raw HTTP/1.1 request (as go-ftw would
send it: Host, Content-Length and a form Content-Type are added when the
test lets headers be completed), written to a scratch directory; one
gw-audit --format http --json run per paranoia level scans them all.  A
test whose output expects CRS rule ids to fire is "detected" when gw-audit
reports any finding; a test that expects ids not to fire is a "false
positive" when it reports one.  Figures are given per attack family (the
CRS rule file: 930 LFI, 942 SQLi...).

Exit status: 0, or 1 when a --min-detect or --max-fp floor is not met,
2 on a usage or setup error.
"""

import argparse
import base64
import collections
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.stderr.write("gw-audit-crs: PyYAML is needed (python3-yaml)\n")
    sys.exit(2)

FAMILIES = {
    "911": "method", "913": "scanner", "920": "protocol",
    "921": "protocol-attack", "922": "multipart", "930": "lfi",
    "931": "rfi", "932": "rce", "933": "php", "934": "generic",
    "941": "xss", "942": "sqli", "943": "session-fixation", "944": "java",
}


def as_bytes(v):
    if v is None:
        return b""
    if isinstance(v, bytes):
        return v
    if isinstance(v, list):
        return "\r\n".join(str(x) for x in v).encode("utf-8",
                                                      "surrogateescape")
    return str(v).encode("utf-8", "surrogateescape")


def build(inp):
    """The raw request of one go-ftw input, or None if it cannot be built."""
    if inp.get("encoded_request"):
        return base64.b64decode(inp["encoded_request"])
    if inp.get("raw_request"):
        return as_bytes(inp["raw_request"])
    method = str(inp.get("method", "GET"))
    uri = str(inp.get("uri", "/"))
    version = str(inp.get("version", "HTTP/1.1"))
    headers = inp.get("headers") or {}
    if isinstance(headers, list):
        headers = {h["name"]: h["value"] for h in headers}
    data = as_bytes(inp.get("data"))
    auto = inp.get("autocomplete_headers", True)
    hdrs = [(str(k), str(v)) for k, v in headers.items()]
    names = {k.lower() for k, _ in hdrs}
    if auto:
        if "host" not in names:
            hdrs.append(("Host", "localhost"))
        if data and "content-type" not in names:
            hdrs.append(("Content-Type",
                         "application/x-www-form-urlencoded"))
        if data and "content-length" not in names and \
                "transfer-encoding" not in names:
            hdrs.append(("Content-Length", str(len(data))))
    head = "%s %s %s\r\n" % (method, uri, version)
    head += "".join("%s: %s\r\n" % (k, v) for k, v in hdrs)
    return head.encode("utf-8", "surrogateescape") + b"\r\n" + data


def load(root, families):
    """[(family, rule, test_id, kind, request)], kind 'attack' or 'clean'."""
    cases = []
    for path in sorted(glob.glob(os.path.join(root, "*", "*.y*ml"))):
        fam = os.path.basename(os.path.dirname(path)).split("-")[1]
        if families and fam not in families:
            continue
        with open(path, "rb") as fp:
            doc = yaml.safe_load(fp)
        if not isinstance(doc, dict):
            continue
        for t in doc.get("tests") or []:
            for i, st in enumerate(t.get("stages") or []):
                st = st.get("stage", st)
                inp, out = st.get("input") or {}, st.get("output") or {}
                log = out.get("log") or {}
                if log.get("expect_ids") or out.get("log_contains"):
                    kind = "attack"
                elif log.get("no_expect_ids") or out.get("no_log_contains"):
                    kind = "clean"
                else:
                    continue
                try:
                    req = build(inp)
                except (ValueError, TypeError, KeyError):
                    continue
                cases.append((fam, doc.get("rule_id"),
                              "%s-%s" % (t.get("test_id"), i), kind, req))
    return cases


def run(audit, rules, level, files):
    """{file: set of finding ids} from one gw-audit run."""
    cmd = [audit, "-f", "http", "-j", "-p", str(level)]
    if rules:
        cmd += ["-r", rules]
    found = collections.defaultdict(set)
    for i in range(0, len(files), 2000):
        p = subprocess.run(cmd + files[i:i + 2000], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, check=False)
        if p.returncode not in (0, 1, 65):
            sys.stderr.write(p.stderr.decode(errors="replace"))
            sys.exit(2)
        for line in p.stdout.decode("utf-8", "replace").splitlines():
            rec = json.loads(line)
            found[rec["file"]].add(rec["finding"]["id"])
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-a", "--audit", default="gw-audit")
    ap.add_argument("-r", "--rules")
    ap.add_argument("-p", "--paranoia", default="1,2,3,4")
    ap.add_argument("-f", "--families",
                    default="930,931,932,933,934,941,942,944")
    ap.add_argument("--min-detect", action="append", default=[],
                    help="FAMILY=PCT at the first paranoia level given")
    ap.add_argument("--max-fp", type=float,
                    help="highest false-positive percentage, all families")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("tests")
    a = ap.parse_args()
    fams = set(a.families.split(",")) if a.families else set()
    cases = load(a.tests, fams)
    if not cases:
        sys.stderr.write("gw-audit-crs: no test cases under %s\n" % a.tests)
        return 2
    tmp = tempfile.mkdtemp(prefix="gw-audit-crs.")
    try:
        files = []
        for n, c in enumerate(cases):
            f = os.path.join(tmp, "%05d.http" % n)
            with open(f, "wb") as fp:
                fp.write(c[4])
            files.append(f)
        report = {}
        for level in [int(x) for x in a.paranoia.split(",")]:
            found = run(a.audit, a.rules, level, files)
            per = collections.defaultdict(lambda: [0, 0, 0, 0])
            for f, c in zip(files, cases):
                row = per[c[0]]
                hit = bool(found.get(f))
                if c[3] == "attack":
                    row[0] += 1
                    row[1] += hit
                else:
                    row[2] += 1
                    row[3] += hit
            report[level] = {k: v for k, v in sorted(per.items())}
    finally:
        shutil.rmtree(tmp)
    rc = 0
    if a.json:
        print(json.dumps({str(k): v for k, v in report.items()}))
    else:
        print("%-6s %-17s %5s %18s %18s" % ("level", "family", "cases",
                                             "detected", "false positives"))
        for level, per in report.items():
            tot = [0, 0, 0, 0]
            for fam, (na, da, nc, fc) in per.items():
                tot = [x + y for x, y in zip(tot, (na, da, nc, fc))]
                print("%-6d %-17s %5d %9d/%-4d %3.0f%% %9d/%-4d %3.0f%%" % (
                    level, fam + " " + FAMILIES.get(fam, ""), na + nc, da,
                    na, 100.0 * da / max(na, 1), fc, nc,
                    100.0 * fc / max(nc, 1)))
            print("%-6d %-17s %5d %9d/%-4d %3.0f%% %9d/%-4d %3.0f%%" % (
                level, "all", tot[0] + tot[2], tot[1], tot[0],
                100.0 * tot[1] / max(tot[0], 1), tot[3], tot[2],
                100.0 * tot[3] / max(tot[2], 1)))
    first = int(a.paranoia.split(",")[0])
    for spec in a.min_detect:
        fam, pct = spec.split("=")
        na, da = report[first].get(fam, [0, 0, 0, 0])[:2]
        if na == 0 or 100.0 * da / na < float(pct):
            sys.stderr.write("gw-audit-crs: %s detected %d/%d, under %s%%\n"
                             % (fam, da, na, pct))
            rc = 1
    if a.max_fp is not None:
        nc = sum(v[2] for v in report[first].values())
        fc = sum(v[3] for v in report[first].values())
        if nc and 100.0 * fc / nc > a.max_fp:
            sys.stderr.write("gw-audit-crs: %d/%d false positives, over "
                             "%s%%\n" % (fc, nc, a.max_fp))
            rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
