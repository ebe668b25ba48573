"""ClearCourse's rules core: pure Python, no Django, no I/O, no clock.

Every function takes facts and a date and returns a decision with reasons and sources. The CLI,
the pages and the API all call this one core. Nothing here may import Django (a test enforces it).
"""
