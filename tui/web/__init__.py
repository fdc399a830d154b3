"""``crossdeck web``: the dashboard in a browser through textual-serve (the ``crossdeck[web]``
extra): ``serve`` is the guarded web server, ``dashboard`` the app process each page drives."""
