"""The teacher's reference solutions, one file per exercise, each a complete student file.

Never imported by the grader (a student's check imports only the student's file), never
written into a workspace or a handout by `tinydl exercise` (tests/test_exercises.py
proves the pack holds none of their lines). A student file that imports this package is
flagged, not credited.
"""
