from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    baseline_name: str
    baseline: float
    higher_is_better: bool = True
    goal: str = ""
    notes: dict[str, float | str] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        if not self.baseline:
            return float("inf")
        return self.value / self.baseline if self.higher_is_better else self.baseline / self.value

    def line(self) -> str:
        goal = f"  goal: {self.goal}" if self.goal else ""
        return (
            f"{self.name:<48} {self.value:>12,.1f} {self.unit:<10} vs {self.baseline_name}: "
            f"{self.baseline:>12,.1f}  -> {self.ratio:5.2f}x{goal}"
        )


class Report:
    def __init__(self) -> None:
        self.figures: list[Figure] = []

    def add(self, figure: Figure) -> None:
        self.figures.append(figure)
        print(figure.line(), flush=True)

    def to_json(self) -> str:
        return json.dumps([asdict(f) | {"ratio": f.ratio} for f in self.figures], indent=2)
