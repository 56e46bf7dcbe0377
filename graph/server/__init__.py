"""Serving the store to many callers: the engine process that owns the store and runs every
operation under a time limit (:mod:`~graph.server.engine`), the operations themselves as
functions over an open store (:mod:`~graph.server.service`), who may read and write what
(:mod:`~graph.server.auth`), and the log's format (:mod:`~graph.server.logs`). The HTTP layer
(the ``api`` package) is a thin layer over these.
"""
