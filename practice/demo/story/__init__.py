"""The demo's story: the invented people (``cast``), what they say and do in session
(``contexts``), and the notes written session by session (``notes``). Pure text: no database."""
