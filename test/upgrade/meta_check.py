#!/usr/bin/env python3
"""test/upgrade/meta_check.py — validate META.json against the PGXN Meta Spec 1.0.0.

Usage: meta_check.py META.json [--root DIR] [--zip ARCHIVE]

Checks what https://pgxn.org/spec/ (meta-spec 1.0.0) requires of a
distribution's META.json: the required keys (name, abstract, maintainer,
license, provides, version, meta-spec) and their types, the optional keys
it defines (description, release_status, generated_by, tags, no_index,
prereqs, resources), semantic versions, and that any other key is a custom
"x_"/"X_" one. With --root: the version agrees with roomcast.control's
default_version and the Makefile's EXTVERSION, and the no_index directories
exist. With --zip (the `make dist` archive): the archive holds this very
META.json under its one top directory NAME-VERSION/, and every "provides"
file and docfile is in it. Prints one "ok"/"not ok" line per check; exits 1
on any failure.
"""
import json
import os
import re
import sys
import zipfile

# Semantic Versioning 1.0.0, as the spec demands: X.Y.Z with an optional
# pre-release suffix of letters and digits right after Z (1.0.0beta1)
SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)([a-zA-Z][-0-9A-Za-z]*)?$")
# a prereq version: a version, 0 (any), or comparisons joined by commas
VERSION_RANGE = re.compile(r"^\s*(?:(?:==|!=|>=|<=|>|<)\s*)?[0-9][0-9A-Za-z.]*"
                           r"(?:\s*,\s*(?:==|!=|>=|<=|>|<)\s*[0-9][0-9A-Za-z.]*)*\s*$")
NAME = re.compile(r"^[^\s/\\:]{2,}$")
LICENSES = {"agpl_3", "apache_1_1", "apache_2_0", "artistic_1", "artistic_2", "bsd", "freebsd",
            "gfdl_1_2", "gfdl_1_3", "gpl_1", "gpl_2", "gpl_3", "lgpl_2_1", "lgpl_3_0", "mit",
            "mozilla_1_0", "mozilla_1_1", "openssl", "perl_5", "postgresql", "qpl_1_0", "ssleay",
            "sun", "zlib", "open_source", "restricted", "unrestricted", "unknown"}
TOP_KEYS = {"name", "abstract", "description", "version", "maintainer", "license", "provides",
            "meta-spec", "release_status", "generated_by", "tags", "no_index", "prereqs", "resources"}
REQUIRED = ["name", "abstract", "maintainer", "license", "provides", "version", "meta-spec"]
PHASES = {"configure", "build", "test", "runtime", "develop"}
RELATIONS = {"requires", "recommends", "suggests", "conflicts"}

failures = 0


def check(what, good, got=None):
    global failures
    if good:
        print(f"ok - meta: {what}")
    else:
        failures += 1
        print(f"not ok - meta: {what}" + (f"\n#   got: {got}" if got is not None else ""))


def is_str(v):
    return isinstance(v, str) and v.strip() != ""


def is_str_list(v):
    return isinstance(v, list) and len(v) > 0 and all(is_str(x) for x in v)


def spec(meta):
    """The checks of the spec itself."""
    missing = [k for k in REQUIRED if k not in meta]
    check("the required keys are present (name, abstract, maintainer, license, provides, version, meta-spec)",
          not missing, missing)
    unknown = [k for k in meta if k not in TOP_KEYS and not k.lower().startswith("x_")]
    check("every other key is one the spec defines or a custom x_ key", not unknown, unknown)
    ms = meta.get("meta-spec")
    check("meta-spec is {version: 1.0.0, url}", isinstance(ms, dict) and ms.get("version") == "1.0.0"
          and (ms.get("url") is None or is_str(ms.get("url"))), ms)
    check("name has 2+ characters and no whitespace, /, \\ or :",
          is_str(meta.get("name")) and NAME.match(meta["name"]) is not None, meta.get("name"))
    check("abstract is a non-empty string", is_str(meta.get("abstract")))
    check("version is a semantic version", is_str(meta.get("version")) and SEMVER.match(meta["version"]) is not None,
          meta.get("version"))
    m = meta.get("maintainer")
    check("maintainer is a string or a list of strings", is_str(m) or is_str_list(m), m)
    lic = meta.get("license")
    good = (is_str(lic) and lic in LICENSES) or (isinstance(lic, list) and lic and all(x in LICENSES for x in lic)) \
        or (isinstance(lic, dict) and lic and all(is_str(k) and is_str(v) for k, v in lic.items()))
    check("license is a known license string, a list of them, or {name: URL}", good, lic)
    prov = meta.get("provides")
    good = isinstance(prov, dict) and len(prov) > 0
    for ext, p in (prov.items() if good else []):
        good = good and NAME.match(ext) is not None and isinstance(p, dict) and is_str(p.get("file")) \
            and is_str(p.get("version")) and SEMVER.match(p["version"]) is not None \
            and all(k in {"file", "version", "abstract", "docfile"} or k.lower().startswith("x_") for k in p) \
            and all(p.get(k) is None or is_str(p[k]) for k in ("abstract", "docfile"))
    check("provides maps each extension to {file, version (semantic), abstract?, docfile?}", good, prov)
    if "description" in meta:
        check("description is a string", is_str(meta["description"]))
    if "generated_by" in meta:
        check("generated_by is a string", is_str(meta["generated_by"]))
    check("release_status is stable, testing or unstable",
          meta.get("release_status", "stable") in {"stable", "testing", "unstable"}, meta.get("release_status"))
    if "tags" in meta:
        check("tags is a list of strings of at most 255 characters",
              is_str_list(meta["tags"]) and all(len(t) <= 255 for t in meta["tags"]), meta["tags"])
    if "no_index" in meta:
        ni = meta["no_index"]
        check("no_index is {file: [...], directory: [...]}", isinstance(ni, dict) and ni
              and all(k in {"file", "directory"} and is_str_list(v) for k, v in ni.items()), ni)
    if "prereqs" in meta:
        pr = meta["prereqs"]
        good = isinstance(pr, dict)
        for phase, rels in (pr.items() if good else []):
            good = good and phase in PHASES and isinstance(rels, dict)
            for rel, deps in (rels.items() if good else []):
                good = good and rel in RELATIONS and isinstance(deps, dict) and all(
                    NAME.match(d) and (v == 0 or (isinstance(v, str) and VERSION_RANGE.match(v)))
                    for d, v in deps.items())
        check("prereqs is {phase: {relation: {name: version}}} with the spec's phases and relations", good, pr)
    if "resources" in meta:
        r = meta["resources"]
        good = isinstance(r, dict) and all(k in {"homepage", "bugtracker", "repository"} or k.lower().startswith("x_")
                                           for k in r)
        good = good and (r.get("homepage") is None or is_str(r["homepage"]))
        for k, allowed in (("bugtracker", {"web", "mailto"}), ("repository", {"url", "web", "type"})):
            if good and k in r:
                good = isinstance(r[k], dict) and r[k] and all(x in allowed and is_str(v) for x, v in r[k].items())
        check("resources has homepage, bugtracker {web, mailto}, repository {url, web, type}", good, r)


def tree(meta, root):
    """The version agrees with the control file and the Makefile."""
    with open(os.path.join(root, "extension", "roomcast.control"), encoding="utf-8") as f:
        control = re.search(r"^default_version\s*=\s*'([^']*)'", f.read(), re.M)
    with open(os.path.join(root, "Makefile"), encoding="utf-8") as f:
        make = re.search(r"^EXTVERSION\s*=\s*(\S+)", f.read(), re.M)
    versions = {"META.json version": meta.get("version"),
                "provides.roomcast.version": meta.get("provides", {}).get("roomcast", {}).get("version"),
                "roomcast.control default_version": control and control.group(1),
                "Makefile EXTVERSION": make and make.group(1)}
    check("the version agrees in META.json, its provides, roomcast.control and the Makefile",
          len(set(versions.values())) == 1 and None not in versions.values(), versions)
    dirs = meta.get("no_index", {}).get("directory", [])
    check("the no_index directories exist", all(os.path.isdir(os.path.join(root, d)) for d in dirs), dirs)


def archive(meta, path):
    """The archive is this META.json's distribution."""
    top = f"{meta.get('name')}-{meta.get('version')}/"
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        check(f"the archive has one top directory {top}", names and all(n.startswith(top) for n in names),
              sorted({n.split('/')[0] for n in names}))
        inside = json.loads(z.read(top + "META.json")) if top + "META.json" in names else None
    check("the archive's META.json is this one", inside == meta)
    files = [p[k] for p in meta.get("provides", {}).values() for k in ("file", "docfile") if p.get(k)]
    check("every provides file and docfile is in the archive", all(top + f in names for f in files),
          [f for f in files if top + f not in names])


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        sys.exit(__doc__.split("\n\n")[1])
    try:
        with open(args[0], encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, ValueError) as e:
        check("META.json is readable JSON", False, e)
        sys.exit(1)
    check("META.json is a JSON object", isinstance(meta, dict))
    if not isinstance(meta, dict):
        sys.exit(1)
    spec(meta)
    opts = dict(zip(args[1::2], args[2::2]))
    if "--root" in opts:
        tree(meta, opts["--root"])
    if "--zip" in opts:
        archive(meta, opts["--zip"])
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
