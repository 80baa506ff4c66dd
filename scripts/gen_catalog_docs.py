#!/usr/bin/env python3
"""Writes the sampler and pruner option tables of docs/config.md from the library's
catalog (`hpsearch samplers --format json`, `hpsearch pruners --format json`, which print
hps_sampler_catalog and hps_pruner_catalog), so the documentation cannot drift from the
code. Each table sits between two markers in docs/config.md:

    <!-- catalog:samplers -->  ...  <!-- /catalog:samplers -->
    <!-- catalog:pruners -->   ...  <!-- /catalog:pruners -->

    scripts/gen_catalog_docs.py [--hpsearch build/hpsearch] [--check]

--check changes nothing: it exits 1, with a diff, when docs/config.md is not what it
would write (tests/cli/test_help.sh runs it so).
"""
import argparse
import difflib
import json
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "config.md"


def catalog(hpsearch, kind):
    out = subprocess.run([hpsearch, kind, "--format", "json"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def cell(text):
    return text.replace("|", "\\|")


def code(text):
    return "`" + text + "`"


def option_rows(strategy, first_column):
    rows = []
    for k, opt in enumerate(o for o in strategy["options"] if o["name"] != "seed"):
        if opt["default"] is not None:
            default = code(opt["default"])
        else:
            default = "required" if opt.get("required") else "none"
        rows.append("| {} | {} | {} | {} | {} |".format(
            first_column if k == 0 else "", code(opt["name"]), default, cell(opt["accepts"]),
            cell(opt["help"])))
    return rows


def samplers_block(samplers):
    bare = [code(s["name"]) for s in samplers if all(o["name"] == "seed" for o in s["options"])]
    lines = ["| sampler | option | default | accepts | meaning |", "|---|---|---|---|---|"]
    for s in samplers:
        lines += option_rows(s, code(s["name"]))
    lines += ["", "Every sampler takes `seed` as well (the key above); {} take{} nothing else."
              .format(" and ".join(bare) if len(bare) <= 2 else ", ".join(bare),
                      "s" if len(bare) == 1 else "")]
    return "\n".join(lines)


def pruners_block(pruners):
    lines = ["| pruner | prunes when | options (defaults) |", "|---|---|---|"]
    for p in pruners:
        name = code(p["name"])
        if p["aliases"]:
            name += " (or {})".format(", ".join(code(a) for a in p["aliases"]))
        options = []
        for opt in p["options"]:
            said = opt["default"] if opt["default"] is not None else (
                "required" if opt.get("required") else "none")
            options.append("{} ({})".format(code(opt["name"]), said))
        lines.append("| {} | {} | {} |".format(name, cell(p["help"]), ", ".join(options) or "—"))
    lines += ["", "| pruner | option | default | accepts | meaning |", "|---|---|---|---|---|"]
    for p in pruners:
        lines += option_rows(p, code(p["name"]))
    return "\n".join(lines)


def rewrite(text, name, block):
    pattern = re.compile(r"(<!-- catalog:{0} -->\n)(?:.*?\n)?(<!-- /catalog:{0} -->)".format(name),
                         re.S)
    if not pattern.search(text):
        sys.exit(f"{DOC}: no <!-- catalog:{name} --> ... <!-- /catalog:{name} --> markers")
    return pattern.sub(lambda m: m.group(1) + block + "\n" + m.group(2), text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hpsearch", default=str(ROOT / "build" / "hpsearch"))
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    old = DOC.read_text(encoding="utf-8")
    new = rewrite(old, "samplers", samplers_block(catalog(args.hpsearch, "samplers")))
    new = rewrite(new, "pruners", pruners_block(catalog(args.hpsearch, "pruners")))
    if args.check:
        if new != old:
            sys.stdout.writelines(difflib.unified_diff(
                old.splitlines(True), new.splitlines(True), "docs/config.md",
                "docs/config.md as the catalog writes it"))
            print("docs/config.md is out of date: run scripts/gen_catalog_docs.py")
            return 1
        return 0
    if new != old:
        DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
