"""Every read a page, printout, export or report needs, as named functions by area.

Each function takes the user's `Scope` (or an object already resolved through it) and returns a
peewee query, rows or plain numbers. Views call these and never build a query themselves; tests
call them directly, without the web client.
"""
