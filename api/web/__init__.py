"""The HTTP service: app factory, dependencies, error handlers, middleware, routes and pages."""
