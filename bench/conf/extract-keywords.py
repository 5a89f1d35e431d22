#!/usr/bin/env python3
"""Extracts every keyword of keepalived.conf(5), per block, from the installed man page.

Writes crates/conf/tests/fixtures/manpage-keywords.txt (or the path given as argv[1]): one
`BLOCK<TAB>KEYWORD` line per keyword, BLOCK being the path of block names from the top level
(`top level`, `global_defs`, `vrrp_instance/authentication`, `virtual_server/real_server/HTTP_GET/url`).

The man page is rendered wide (no wrapping) and its example blocks are walked by their braces.
Rules, all because of how the 2.2.7 page is written:
- only the examples count; prose at the top level is skipped, except in "Global definitions",
  where net_namespace, instance, use_pid_dir ... are listed before `global_defs {` opens: they
  are top-level keywords (keepalived 2.2.7 reports them as unknown inside global_defs);
- blocks whose lines are items, not keywords (virtual_ipaddress, track_interface, group, ...) are
  not walked;
- a line indented deeper than the block's keywords continues the previous one;
- `HTTP_GET|SSL_GET` is both blocks, and CHECKER_TYPE's options go to every checker that has them
  (MISC_CHECK only "alpha onwards"; BFD_CHECK and FILE_CHECK none);
- FILE_CHECK's `dynamic` is left out: the page documents it, keepalived 2.2.7 does not read it;
- synonyms the page names in comments ("synonym neighbour_ip", "vrrp_track_file is a deprecated
  synonym") are listed too.
The walk stops at ADVANCED CONFIGURATION (its examples repeat keywords inside @-lines).
"""

import os
import re
import subprocess
import sys

# Blocks whose content lines are items (addresses, names, interfaces), not keywords.
LIST_BLOCKS = {
    "notification_email",
    "linkbeat_interfaces",
    "group",
    "static_ipaddress",
    "static_routes",
    "static_rules",
    "track_interface",
    "track_script",
    "track_process",
    "track_bfd",
    "interfaces",
    "unicast_peer",
    "virtual_ipaddress",
    "virtual_ipaddress_excluded",
    "virtual_routes",
    "virtual_rules",
    "interface_up_down_delays",
    "virtual_server_group",
}
# track_file is a keyword block at the top level and an item list inside instances and groups.
LIST_BLOCKS_BELOW_TOP = {"track_file"}

CHECKERS_WITH_COMMON = ["HTTP_GET", "SSL_GET", "TCP_CHECK", "SMTP_CHECK", "DNS_CHECK", "UDP_CHECK", "PING_CHECK"]
# "except MISC_CHECK which only has options alpha onwards": keepalived 2.2.7's check_api.c installs
# neither connect_* nor connect_timeout for MISC_CHECK (it has misc_timeout), so alpha, retry, ...
MISC_COMMON_FROM = "alpha"
MISC_NOT = {"connect_timeout"}

SYNONYMS = [
    ("bfd_instance", "neighbour_ip"),  # "BFD Neighbor IP (synonym neighbour_ip)"
    ("top level", "vrrp_track_file"),  # "vrrp_track_file is a deprecated synonym"
]

# Documented by the page but not read by keepalived 2.2.7 (its parser reports them as unknown
# keywords, checked with `keepalived -t`): keepalived's verdict wins, see corpus/man-only-dynamic.conf.
MAN_ONLY = {("virtual_server/real_server/FILE_CHECK", "dynamic")}

KEYWORD = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def render():
    env = dict(os.environ, MANWIDTH="250", MAN_KEEP_FORMATTING="")
    man = subprocess.run(["man", "keepalived.conf"], env=env, check=True, capture_output=True).stdout
    text = subprocess.run(["col", "-bx"], input=man, check=True, capture_output=True).stdout
    return text.decode("utf-8", "replace").splitlines()


def indent(line):
    return len(line) - len(line.lstrip(" "))


def strip_comment(s):
    i = s.find("#")
    return (s if i < 0 else s[:i]).strip()


def extract(lines):
    out = []  # (block path, keyword) in page order
    seen = set()

    def add(block, kw):
        if (block, kw) not in seen and (block, kw) not in MAN_ONLY:
            seen.add((block, kw))
            out.append((block, kw))

    section = ""
    stack = []  # [(names: list[str], keyword indent or None)]
    checker_common = []  # CHECKER_TYPE options in order
    for raw in lines:
        if raw and not raw[0].isspace():
            section = raw.strip()
            if section.startswith("ADVANCED CONFIGURATION"):
                break
            continue
        line = strip_comment(raw)
        if not line:
            continue
        ind = indent(raw)
        words = line.split()
        if line == "}":
            if stack:
                stack.pop()
            continue
        if line.endswith("{"):
            names = words[0].split("|")
            if names == ["CHECKER_TYPE"]:
                names = ["CHECKER_TYPE"]
            if not stack:
                for n in names:
                    add("top level", n)
            else:
                parent_names, kw_ind = stack[-1]
                if kw_ind is None:
                    stack[-1] = (parent_names, ind)
                for p in paths(stack):
                    for n in names:
                        if n != "CHECKER_TYPE":
                            add(p, n)
            stack.append((names, None))
            continue
        if not stack:
            # Top-level keywords documented before `global_defs {` opens.
            if section == "Global definitions" and KEYWORD.match(words[0]) and (
                "_" in words[0] or words[0] == "instance"
            ):
                add("top level", words[0])
            continue
        names, kw_ind = stack[-1]
        if listing(stack):
            continue
        if kw_ind is None:
            kw_ind = ind
            stack[-1] = (names, ind)
        if ind >= kw_ind + 4:
            continue  # continuation of the previous line
        kw = words[0]
        if not KEYWORD.match(kw) or kw == "or" or not any(c.islower() for c in kw):
            continue
        if names == ["CHECKER_TYPE"]:
            checker_common.append(kw)
            continue
        for p in paths(stack):
            add(p, kw)

    # CHECKER_TYPE sits in virtual_server/real_server.
    base = "virtual_server/real_server"
    for chk in CHECKERS_WITH_COMMON:
        for kw in checker_common:
            add(f"{base}/{chk}", kw)
    if MISC_COMMON_FROM in checker_common:
        for kw in checker_common[checker_common.index(MISC_COMMON_FROM):]:
            if kw not in MISC_NOT:
                add(f"{base}/MISC_CHECK", kw)
    for block, kw in SYNONYMS:
        add(block, kw)
    return out


def listing(stack):
    name = stack[-1][0][0]
    if name in LIST_BLOCKS:
        return True
    return len(stack) > 1 and name in LIST_BLOCKS_BELOW_TOP


def paths(stack):
    """Every block path the top of the stack stands for (HTTP_GET|SSL_GET is two)."""
    result = [""]
    for names, _ in stack:
        result = [f"{r}/{n}" if r else n for r in result for n in names]
    return result


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(here, "..", "..", "crates", "conf", "tests", "fixtures", "manpage-keywords.txt")
    dest = sys.argv[1] if len(sys.argv) > 1 else default
    version = subprocess.run(["keepalived", "-v"], capture_output=True, text=True)
    first = (version.stderr or version.stdout).splitlines()[0] if (version.stderr or version.stdout) else "?"
    pairs = extract(render())
    with open(dest, "w") as f:
        f.write("# Keywords of keepalived.conf(5) per block, from the man page of " + first + ".\n")
        f.write("# Generated by bench/conf/extract-keywords.py: BLOCK<TAB>KEYWORD, page order.\n")
        for block, kw in pairs:
            f.write(f"{block}\t{kw}\n")
    print(f"{len(pairs)} keywords in {len({b for b, _ in pairs})} blocks -> {dest}")


if __name__ == "__main__":
    main()
