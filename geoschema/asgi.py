"""The ASGI application that uvicorn serves (`make run`, production).

Quartier's middleware and views are synchronous (the ORM is). Django's ASGI handler costs a
synchronous request two kinds of overhead that `QuartierASGIHandler` removes, keeping Django's
handling of the connection (the request body spooled to disk past FILE_UPLOAD_MAX_MEMORY_SIZE,
client disconnects, async streaming of exports):

- hops: the middleware loaded in async mode hops between the event loop and the worker thread for
  each synchronous piece, eight hops a request here (1 to 1.7 ms); the chain and view run in one.
- threads: each request's synchronous work runs in a thread of its own (Django's connections are
  per thread), and asgiref starts that thread for the request and a second one to join it at the
  end, about 2 ms a request on this machine (in-process: 2.8 ms for /healthz through the handler,
  0.9 ms for the same view called directly). Here a finished request's thread waits, idle, for
  the next request: still one request per thread at a time, no thread started.
"""

import os
from concurrent.futures import ThreadPoolExecutor

import django
from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler
from django.http import FileResponse

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoschema.settings")
os.environ.setdefault("QUARTIER_STATEMENT_TIMEOUT_MS", "15000")  # every API statement is bounded

IDLE_THREADS_KEPT = 32  # past this many requests at once, the extra threads end with their request


class QuartierASGIHandler(ASGIHandler):
    def __init__(self):
        BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self.idle: list[ThreadPoolExecutor] = []  # touched by the event loop's thread only

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        thread = self.idle.pop() if self.idle else ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")
        try:
            # Every thread-sensitive call of this request (signals, the view, streamed chunks, the
            # response's close) runs on `thread`, as in Django's own per-request context.
            async with ThreadSensitiveContext(executor=thread):
                await self.handle(scope, receive, send)
        finally:
            if len(self.idle) < IDLE_THREADS_KEPT:
                self.idle.append(thread)
            else:
                thread.shutdown(wait=False)

    async def run_get_response(self, request):
        response = await sync_to_async(self.get_response, thread_sensitive=True)(request)
        response._handler_class = self.__class__
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        return response


django.setup(set_prefix=False)
application = QuartierASGIHandler()
