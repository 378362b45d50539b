#!/usr/bin/env python3
"""Audit the dependencies for known vulnerabilities: ``make audit`` (and CI) runs this.

* Python: ``pip-audit`` (from its own virtual environment, ``.venv-audit``: installing it into the
  project's would upgrade packages Rasa 3.6 pins) on the exact versions installed in ``.venv``
  (``pip freeze``), without resolving anything again.
* npm: ``npm audit`` on ``web/package-lock.json``.

Writes ``results/audit/pip-audit.json``, ``results/audit/npm-audit.json`` and a summary
``results/audit/summary.md`` (CI keeps them). Findings listed in ``config/audit-accepted.yml``
(with the reason they stay) are reported but accepted; any other finding makes the exit status 1.
A vulnerability database that cannot be reached is reported as such — "not audited", never as
"no vulnerabilities" — and does not fail the run, so that a closed network does not block CI.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

PROJECT = Path(__file__).resolve().parent.parent
OUT = PROJECT / "results" / "audit"
ACCEPTED = PROJECT / "config" / "audit-accepted.yml"
PIP_AUDIT = PROJECT / ".venv-audit" / "bin" / "pip-audit"


def accepted() -> dict[str, str]:
    """Advisory id (or alias) → why it stays."""
    data = yaml.safe_load(ACCEPTED.read_text()) or {}
    return {str(item["id"]): str(item["reason"]) for item in data.get("accepted", [])}


def audit_python() -> dict[str, Any]:
    freeze = subprocess.run(
        [str(PROJECT / ".venv" / "bin" / "pip"), "freeze", "--exclude-editable"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    requirements = OUT / "requirements-frozen.txt"
    requirements.write_text(freeze)
    report = OUT / "pip-audit.json"
    run = subprocess.run(
        [
            str(PIP_AUDIT),
            "--disable-pip",
            "--no-deps",
            "-r",
            str(requirements),
            "-f",
            "json",
            "-o",
            str(report),
            "--progress-spinner",
            "off",
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if not report.exists():
        return {"tool": "pip-audit", "audited": 0, "findings": [], "error": run.stderr[-2000:]}
    data = json.loads(report.read_text())
    deps = data.get("dependencies", [])
    skipped = [d for d in deps if d.get("skip_reason")]
    findings = [
        {
            "package": d["name"],
            "version": d.get("version"),
            "id": v["id"],
            "aliases": v.get("aliases", []),
            "fix_versions": v.get("fix_versions", []),
        }  # fmt: skip
        for d in deps
        for v in d.get("vulns", [])
    ]
    return {
        "tool": "pip-audit",
        "packages": len(deps),
        "audited": len(deps) - len(skipped),
        "skipped": len(skipped),
        "skip_example": skipped[0]["skip_reason"] if skipped else None,
        "findings": findings,
    }


def audit_npm() -> dict[str, Any]:
    run = subprocess.run(
        ["npm", "audit", "--json", "--omit=peer"],
        cwd=PROJECT / "web",
        capture_output=True,
        text=True,
        timeout=600,
    )
    (OUT / "npm-audit.json").write_text(run.stdout or run.stderr)
    try:
        data = json.loads(run.stdout)
    except ValueError:
        return {"tool": "npm audit", "audited": 0, "findings": [], "error": run.stderr[-2000:]}
    if "error" in data or "message" in data and "vulnerabilities" not in data:
        error = data.get("error", {}).get("summary") or data.get("message") or str(data)[:500]
        return {"tool": "npm audit", "audited": 0, "findings": [], "error": error}
    findings = []
    for name, item in (data.get("vulnerabilities") or {}).items():
        for via in item.get("via", []):
            if isinstance(via, dict):
                findings.append(
                    {
                        "package": name,
                        "version": item.get("range"),
                        "id": str(via.get("url") or via.get("source")),
                        "aliases": [],
                        "severity": via.get("severity"),
                        "title": via.get("title"),
                    }  # fmt: skip
                )
    total = (data.get("metadata") or {}).get("dependencies", {}).get("total")
    return {"tool": "npm audit", "audited": total, "findings": findings}


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    known = accepted()
    results = [audit_python(), audit_npm()]
    lines = ["# Dependency audit", ""]
    unaccepted = []
    for result in results:
        if result.get("error") or not result.get("audited"):
            why = result.get("error") or result.get("skip_example") or "no package audited"
            lines.append(f"- **{result['tool']}: not audited** — the vulnerability database "
                         f"could not be reached from here: {why.strip()[:300]}")  # fmt: skip
            continue
        lines.append(
            f"- **{result['tool']}**: {result['audited']} packages audited"
            + (f" ({result['skipped']} not found in the database)" if result.get("skipped") else "")
            + f", {len(result['findings'])} findings"
        )
        for finding in result["findings"]:
            ids = [finding["id"], *finding.get("aliases", [])]
            reason = next((known[i] for i in ids if i in known), None)
            mark = f"accepted: {reason}" if reason else "NOT ACCEPTED"
            lines.append(f"  - {finding['package']} {finding.get('version')}: "
                         f"{', '.join(ids)} — {mark}")  # fmt: skip
            if reason is None:
                unaccepted.append(finding)
    summary = "\n".join(lines) + "\n"
    (OUT / "summary.md").write_text(summary)
    (OUT / "summary.json").write_text(json.dumps(results, indent=2) + "\n")
    print(summary)
    if unaccepted:
        print(
            f"{len(unaccepted)} finding(s) not in {ACCEPTED.relative_to(PROJECT)}: upgrade within "
            "Rasa 3.6's constraints, or list each with the reason it stays.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
