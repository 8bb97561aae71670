"""The guide builder: a guide of a programme compiled chapter by chapter along the four questions of
social-data practice from selected hub practices, event recommendations, survey results and the platform's
own figures, as HTML and a tagged PDF (issue 16). See ``docs/guide.md``."""
