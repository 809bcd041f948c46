"""What an import did, file by file: the report the CLI prints and the import page shows."""

from __future__ import annotations

from collections import Counter, defaultdict

OUTCOMES = ("imported", "merged", "unlinked", "refused")
MAX_LISTED = 2000


class ImportReport:
    """What an import did: rows per table and every problem, with counts."""

    def __init__(self, source: str = ""):
        self.source = source
        self.format = ""
        self.timezone = ""  # the zone the package's local times were read in
        self.counts: dict[str, Counter] = defaultdict(Counter)
        self.problems: Counter = Counter()
        self.examples: dict[tuple, str] = {}
        # the reconciliation: per file, rows read and what became of each one
        self.files: dict[str, Counter] = defaultdict(Counter)
        self.reasons: dict[str, Counter] = defaultdict(Counter)  # file -> (outcome, reason)
        self.unlinked: list[dict] = []  # the first MAX_LISTED unlinked rows, for the page
        self.last_code: str | None = None
        self.import_id: int | None = None  # its row in hsds_import, once kept
        self.origin: dict[tuple[str, str], str] = {}  # (table, stored id) -> file it came from

    def problem(self, code: str, where: str, example: str = "") -> None:
        self.last_code = code
        self.problems[(code, where)] += 1
        if example and (code, where) not in self.examples:
            self.examples[(code, where)] = str(example)[:120]

    def count(self, table: str, what: str, n: int = 1) -> None:
        self.counts[table][what] += n

    def read(self, where: str) -> None:
        self.files[where]["read"] += 1

    def settle(self, where: str, outcome: str, reason: str = "") -> None:
        """What became of one row read from `where`: imported, merged, unlinked or refused."""
        self.files[where][outcome] += 1
        if reason:
            self.reasons[where][(outcome, reason)] += 1

    def keep_unlinked(self, where: str, source_id, reason: str) -> None:
        self.settle(where, "unlinked", reason)
        if len(self.unlinked) < MAX_LISTED:
            self.unlinked.append({"file": where, "id": "" if source_id is None
                                  else str(source_id)[:120], "reason": reason})

    def reconciliation(self) -> list[dict]:
        """One line per file: rows read = imported + merged + unlinked + refused."""
        lines = []
        for where, c in sorted(self.files.items()):
            lines.append({
                "file": where, **{k: c[k] for k in OUTCOMES}, "read": c["read"],
                "balanced": c["read"] == sum(c[k] for k in OUTCOMES),
                "reasons": [{"outcome": o, "reason": r, "count": n}
                            for (o, r), n in sorted(self.reasons[where].items())]})
        return lines

    @property
    def changed(self) -> int:
        return sum(c["inserted"] + c["updated"] for c in self.counts.values())

    def to_dict(self) -> dict:
        return {
            "source": self.source, "format": self.format, "timezone": self.timezone,
            "tables": {t: dict(c) for t, c in sorted(self.counts.items())},
            "changed": self.changed,
            "problems": [{"code": code, "where": where, "count": n,
                          "example": self.examples.get((code, where), "")}
                         for (code, where), n in sorted(self.problems.items())],
            "reconciliation": self.reconciliation(),
            "unlinked": self.unlinked,
        }

    def to_text(self) -> str:
        lines = [f"Imported {self.source} ({self.format})"]
        if self.files:
            lines.append(reconciliation_text(self.reconciliation()))
        for table, c in sorted(self.counts.items()):
            parts = ", ".join(f"{k} {v}" for k, v in sorted(c.items()))
            lines.append(f"  {table}: {parts}")
        if self.problems:
            lines.append(f"Problems ({sum(self.problems.values())}):")
            for (code, where), n in sorted(self.problems.items()):
                example = self.examples.get((code, where))
                suffix = f" (e.g. {example})" if example else ""
                lines.append(f"  {n} x {code} in {where}{suffix}")
        else:
            lines.append("No problems.")
        return "\n".join(lines)


def reconciliation_text(lines: list[dict]) -> str:
    """The reconciliation table as the CLI prints it."""
    width = max([len("file")] + [len(line["file"]) for line in lines])
    out = [f"  {'file':<{width}} {'read':>7} {'imported':>9} {'merged':>7} {'unlinked':>9} "
           f"{'refused':>8}"]
    for line in lines:
        flag = "" if line["balanced"] else "  (does not add up)"
        out.append(f"  {line['file']:<{width}} {line['read']:>7} {line['imported']:>9} "
                   f"{line['merged']:>7} {line['unlinked']:>9} {line['refused']:>8}{flag}")
        for reason in line["reasons"]:
            out.append(f"  {'':<{width}}   {reason['count']:>6} {reason['outcome']}: "
                       f"{reason['reason']}")
    return "\n".join(out)
