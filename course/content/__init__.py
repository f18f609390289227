"""The program as data: load and validate `modules/` (loader.load_catalog), render its Markdown. No Flask.

Import from the modules themselves (course.content.loader, course.content.model): this package imports
nothing, so the kinds of step (course/steps/kinds/) can use the model while the loader uses the kinds.
"""
