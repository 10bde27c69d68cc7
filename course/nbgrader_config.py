"""The nbgrader course directory of nvmxlab: one assignment, `nested-irq`, the eight notebooks.

source/nested-irq/ holds the instructor's notebooks, with the solutions and the hidden tests;
`nbgrader generate_assignment nested-irq` writes the learner release, which the repository
commits as notebooks/ (`python3 dev.py release` regenerates it).
"""

c = get_config()  # noqa: F821  (nbgrader's config loader provides get_config)

c.CourseDirectory.course_id = "nvmxlab"

# An unanswered question must not raise: the check cell under it says it is unanswered, so
# "Run all" on a learner notebook runs to the end.
c.ClearSolutions.code_stub = {"python": "answer = None  # your answer here"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# Run-all of a whole notebook takes seconds; the lab widgets need a little longer to import.
c.ExecutePreprocessor.timeout = 180
