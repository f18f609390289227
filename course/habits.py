"""Habits a patient adopts from a habit step and drops again, and how often they practised them (the
check-ins record the days: course/tracking/services.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .content.model import Catalog, Habit
from .models import CheckIn, HabitAdoption, HabitLog, User


def adopted_habit_ids(db: Session, patient: User) -> list[str]:
    """The habits the patient practises now, in the order adopted."""
    return list(
        db.scalars(
            select(HabitAdoption.habit_id)
            .where(HabitAdoption.patient_id == patient.id, HabitAdoption.active.is_(True))
            .order_by(HabitAdoption.adopted_at, HabitAdoption.id)
        )
    )


def set_habit(db: Session, patient: User, habit_id: str, active: bool, now: datetime) -> None:
    """Adopt or drop a habit (dropping keeps the history of days practised)."""
    row = db.scalar(
        select(HabitAdoption).where(
            HabitAdoption.patient_id == patient.id, HabitAdoption.habit_id == habit_id
        )
    )
    if row is None:
        if active:
            db.add(HabitAdoption(patient_id=patient.id, habit_id=habit_id, active=True, adopted_at=now))
        db.flush()
        return
    if active and not row.active:
        row.active, row.adopted_at, row.dropped_at = True, now, None
    elif not active and row.active:
        row.active, row.dropped_at = False, now
    db.flush()


@dataclass(frozen=True)
class HabitWeek:
    """Days a habit was practised this week and last week (no streaks: a missed day costs nothing)."""

    habit: Habit
    active: bool
    this_week: int
    last_week: int


def habit_weeks(db: Session, patient: User, catalog: Catalog, today: date) -> list[HabitWeek]:
    """Per habit the patient has ever adopted: days practised in the last 7 days and the 7 before."""
    adoptions = list(
        db.scalars(
            select(HabitAdoption).where(HabitAdoption.patient_id == patient.id).order_by(HabitAdoption.id)
        )
    )
    start = today - timedelta(days=13)
    logs = db.execute(
        select(HabitLog.habit_id, CheckIn.day)
        .join(CheckIn, HabitLog.checkin_id == CheckIn.id)
        .where(CheckIn.patient_id == patient.id, CheckIn.day >= start, CheckIn.day <= today)
    ).all()
    result = []
    for adoption in adoptions:
        habit = catalog.habits.get(adoption.habit_id)
        if habit is None:
            continue  # a habit the program no longer has
        days = [day for habit_id, day in logs if habit_id == adoption.habit_id]
        this_week = sum(1 for d in days if d > today - timedelta(days=7))
        result.append(HabitWeek(habit, adoption.active, this_week, len(days) - this_week))
    return result
