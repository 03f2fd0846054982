"""Reusable widgets for Trackside's pages: form fields with info tips and error lines,
a Python code editor, an action table, dialogs and a background runner.

Widgets here know nothing about pages; pages compose them.
"""
