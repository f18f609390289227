"""One module per kind of step, each defining one `Step` subclass; course.steps.registry finds them here."""
