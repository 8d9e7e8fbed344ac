"""``ScenarioTrainer``: exercises for trainers from a generated district (``tcw demo`` or ``tcw generate``
and ingest): the four fraud scenarios and their legitimate look-alikes, each shown as a table and a graph;
the trainee picks the suspicious code or institution, or 合法 legitimate, and is told whether that was
right and why (the truth's note, and what the screens said), Chinese first with English beside it. The
order of the exercises and of their candidates is fixed by the seed."""

from __future__ import annotations

from html import escape

import ipywidgets as w

from workbench.graph.store import GraphStore
from workbench.synth import truth
from workbench.widgets import sources
from workbench.widgets.exercises import KIND_NAMES, LEGITIMATE, Exercise, build_exercises
from workbench.widgets.patterns import candidate_text
from workbench.widgets.ui import STYLE, html_table, note

LEGITIMATE_TEXT = "合法 legitimate"


class ScenarioTrainer(w.VBox):
    """One exercise at a time, a button per candidate and one for legitimate, a score."""

    def __init__(self, workspace=None, data=None, *, store: GraphStore | None = None, seed: int = 7,
                 per_kind: int = 1, height: str = "480px"):
        from workbench.widgets.graph_view import GraphView

        ws = sources.as_workspace(workspace)
        if store is None:
            from workbench.widgets.session import open_store

            store = open_store(ws)
        found = sources.workspace_screening(ws)
        ledger = found.ledger.to_pylist() if found.ledger is not None else []
        self.exercises: list[Exercise] = build_exercises(truth.read(sources.truth_path(ws, data)), store,
                                                         found.leads.to_pylist(), ledger, seed, per_kind)
        self.position, self.right, self.answered = 0, 0, 0
        self.chosen: str | None = None
        self.progress, self.question, self.table, self.feedback = w.HTML(), w.HTML(), w.HTML(), w.HTML()
        self.choices = w.HBox()
        self.next = w.Button(description="下一题 next ▶")
        self.restart = w.Button(description="重新开始 restart")
        self.next.on_click(lambda _: self.go(self.position + 1))
        self.restart.on_click(lambda _: self.reset())
        self.view = GraphView(store, height=height)
        super().__init__([w.HTML(STYLE + "<b>场景训练 Scenario trainer</b>"), self.progress, self.question, self.table,
                          self.view.box(), self.choices, self.feedback, w.HBox([self.next, self.restart])])
        self.go(0)

    @property
    def exercise(self) -> Exercise | None:
        """The exercise shown (``None`` after the last)."""
        return self.exercises[self.position] if self.position < len(self.exercises) else None

    def go(self, position: int) -> None:
        """Show the exercise at ``position`` (past the last: the final score)."""
        self.position, self.chosen = position, None
        self.feedback.value = ""
        exercise = self.exercise
        self._progress()
        if exercise is None:
            self.question.value = note(f"完成 done：得分 score {self.right}/{self.answered}", "good")
            self.table.value, self.choices.children, self.next.disabled = "", (), True
            self.view.clear()
            return
        pattern = exercise.pattern
        self.question.value = note(pattern.question_zh) + note(pattern.question_en)
        self.table.value = html_table(pattern.rows, pattern.columns)
        self.choices.children = [self._button(choice) for choice in exercise.choices]
        self.next.disabled = False
        self.view.show(pattern.draw())

    def _button(self, choice: str) -> w.Button:
        text = LEGITIMATE_TEXT if choice == LEGITIMATE else candidate_text(choice)
        button = w.Button(description=text, tooltip=choice, layout=w.Layout(width="auto"),
                          button_style="success" if choice == LEGITIMATE else "")
        button.on_click(lambda _: self.answer(choice))
        return button

    def answer(self, choice: str) -> bool:
        """Judge a choice (the first answer to an exercise counts); say right or wrong, and why."""
        exercise = self.exercise
        if exercise is None:
            return False
        right = exercise.check(choice)
        if self.chosen is None:
            self.answered += 1
            self.right += right
        self.chosen = choice
        for button in self.choices.children:
            button.disabled = True
        zh, en = exercise.why()
        answer = LEGITIMATE_TEXT if exercise.answer == LEGITIMATE else candidate_text(exercise.answer)
        verdict = "✔ 正确 right" if right else f"✘ 错误 wrong — 答案 answer: {answer}"
        self.feedback.value = (note(verdict, "good" if right else "error") + f"<div>{escape(zh)}</div>"
                               f"<div><i>{escape(en)}</i></div>")
        self._progress()
        return right

    def reset(self) -> None:
        """Back to the first exercise, the score at zero (same order)."""
        self.right = self.answered = 0
        self.go(0)

    def _progress(self) -> None:
        shown = min(self.position + 1, len(self.exercises))
        kind = self.exercise.case["kind"] if self.exercise is not None else None
        topic = f" · {' '.join(KIND_NAMES[kind])}" if kind and self.chosen is not None else ""
        self.progress.value = note(f"第 {shown}/{len(self.exercises)} 题 exercise · 得分 score {self.right}/"
                                   f"{self.answered}{topic}")
