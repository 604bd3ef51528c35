"""The corpus of real-world texts, scored per category: at least 95 % right, no wrong changes."""

from __future__ import annotations

from collections import defaultdict

from .corpus import Case, check, load_cases

MIN_ACCURACY = 0.95
MIN_CASES = 300


def _score(cases: list[Case]) -> tuple[dict[str, list[int]], list[tuple[Case, list[str]]]]:
    per_category: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    failures: list[tuple[Case, list[str]]] = []
    for case in cases:
        problems = check(case, case.run())
        per_category[case.category][1] += 1
        if problems:
            failures.append((case, problems))
        else:
            per_category[case.category][0] += 1
    return per_category, failures


def _table(per_category: dict[str, list[int]]) -> str:
    lines = [f"{'category':<15}{'right':>7}{'total':>7}{'accuracy':>10}"]
    for category, (right, total) in sorted(per_category.items()):
        lines.append(f"{category:<15}{right:>7}{total:>7}{right / total:>10.1%}")
    right = sum(r for r, _ in per_category.values())
    total = sum(t for _, t in per_category.values())
    lines.append(f"{'overall':<15}{right:>7}{total:>7}{right / total:>10.1%}")
    return "\n".join(lines)


class TestCorpus:
    def test_corpus_is_large_and_varied(self) -> None:
        cases = load_cases()
        assert len(cases) >= MIN_CASES
        assert len({case.category for case in cases}) >= 12
        assert len({case.role for case in cases}) >= 8

    def test_accuracy_per_category_is_at_least_95_percent_overall(self) -> None:
        per_category, failures = _score(load_cases())
        print("\n" + _table(per_category))
        for case, problems in failures:
            print(f"FAIL #{case.number} [{case.category}] {case.role}: {case.text!r}: {problems}")
        right = sum(r for r, _ in per_category.values())
        total = sum(t for _, t in per_category.values())
        assert right / total >= MIN_ACCURACY, _table(per_category)

    def test_texts_that_must_not_change_anything_never_change_a_unit(self) -> None:
        wrong = []
        for case in load_cases():
            if case.expects_no_change:
                result = case.run()
                if result.changes_units:
                    wrong.append((case.text, result.summary()))
        assert not wrong, f"texts that should only ask or explain changed units: {wrong}"

    def test_no_text_changes_a_unit_it_did_not_name_or_imply(self) -> None:
        """Wrong-car changes count hardest: every changed unit must be one the case expects."""
        wrong = []
        for case in load_cases():
            expected_units = {line.split()[1].upper() for line in case.expect if " " in line}
            result = case.run()
            for command in result.commands:
                stock = getattr(command, "stock_number", None)
                if command.changes_unit and stock and stock.upper() not in expected_units:
                    wrong.append((case.text, stock))
        assert not wrong
