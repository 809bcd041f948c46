"""What an import did, file by file: the report the CLI prints and the import page shows."""

from __future__ import annotations

from collections import Counter, defaultdict


class ImportReport:
    """What an import did: rows per table and every problem, with counts."""

    def __init__(self, source: str = ""):
        self.source = source
        self.format = ""
        self.counts: dict[str, Counter] = defaultdict(Counter)
        self.problems: Counter = Counter()
        self.examples: dict[tuple, str] = {}

    def problem(self, code: str, where: str, example: str = "") -> None:
        self.problems[(code, where)] += 1
        if example and (code, where) not in self.examples:
            self.examples[(code, where)] = str(example)[:120]

    def count(self, table: str, what: str, n: int = 1) -> None:
        self.counts[table][what] += n

    @property
    def changed(self) -> int:
        return sum(c["inserted"] + c["updated"] for c in self.counts.values())

    def to_dict(self) -> dict:
        return {
            "source": self.source, "format": self.format,
            "tables": {t: dict(c) for t, c in sorted(self.counts.items())},
            "problems": [{"code": code, "where": where, "count": n,
                          "example": self.examples.get((code, where), "")}
                         for (code, where), n in sorted(self.problems.items())],
        }

    def to_text(self) -> str:
        lines = [f"Imported {self.source} ({self.format})"]
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
