"""The demo's builder: staff (``staff``), case plans (``plans``), the cases and their sessions
(``cases``, ``sessions``, ``scripts_and_measures``), written in bulk (``rows``)."""
