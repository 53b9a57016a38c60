"""The ASGI application that uvicorn serves (`make run`, production).

Quartier's middleware and views are synchronous (the ORM is). Django's ASGI handler costs a
synchronous request two kinds of overhead that `QuartierASGIHandler` removes, keeping Django's
handling of the connection (the request body spooled to disk past FILE_UPLOAD_MAX_MEMORY_SIZE,
client disconnects, async streaming of exports):

- hops between the event loop and the request's thread, about 0.3 ms each on this machine: the
  middleware loaded in async mode took eight a request, then the request_started signal, the view
  and the response's close one each. Here one hop runs the signal, the middleware chain, the view
  and (unless the answer is streamed) the close, which hands the database connection back to the
  pool before the answer is sent.
- threads: each request's synchronous work runs in a thread of its own (Django's connections are
  per thread), and asgiref starts that thread for the request and a second one to join it at the
  end, about 2 ms a request here (in-process: 2.8 ms for /healthz through the handler, 0.9 ms for
  the same view called directly). Here a finished request's thread waits, idle, for the next
  request: still one request per thread at a time, no thread started.
"""

import asyncio
import contextlib
import gc
import os
from concurrent.futures import ThreadPoolExecutor
from importlib import import_module

import django
from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.http import FileResponse
from django.urls import set_script_prefix

from geoschema.errors import Code, http_error

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

    async def handle(self, scope, receive, send):
        """Django's `ASGIHandler.handle`, with the request's synchronous work in one hop (`respond`)."""
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))

        async def process_request():
            response = await sync_to_async(self.respond, thread_sensitive=True)(scope, body_file)
            with contextlib.suppress(asyncio.CancelledError):  # the client left while it was being sent
                await self.send_response(response, send)
            return response

        # As Django does: a client that disconnects while its request runs ends the request.
        tasks = [asyncio.create_task(self.listen_for_disconnect(receive)), asyncio.create_task(process_request())]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            if task.done():
                try:
                    task.result()
                except RequestAborted:
                    pass
                except AssertionError:
                    body_file.close()
                    raise
            else:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        try:
            response = tasks[1].result()
        except asyncio.CancelledError:
            await signals.request_finished.asend(sender=self.__class__)
        else:
            if response.streaming:
                await sync_to_async(response.close)()
        body_file.close()

    def create_request(self, scope, body_file):
        """Django's, with a request that cannot be read (a query string that is not UTF-8, a body
        past DATA_UPLOAD_MAX_MEMORY_SIZE) answered as every error of the API: JSON with its code
        (Django's answers are an empty HTML page and plain text)."""
        request, response = super().create_request(scope, body_file)
        if response is not None and response.status_code == 413:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            response = http_error(Code.LIMIT_EXCEEDED, f"a request body is at most {limit:,} bytes", status=413)
        elif response is not None:
            response = http_error(Code.BAD_INPUT, "the request's query string is not valid UTF-8")
        return request, response

    def respond(self, scope, body_file):
        """The synchronous part of a request, on its thread: the response, closed unless streamed."""
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        if not response.streaming:
            response.close()
        return response


django.setup(set_prefix=False)
application = QuartierASGIHandler()

# What is loaded by now (Django, GDAL, the URLs and the GraphQL schema behind them) lives as long as
# the process: moved out of the cyclic collector's reach, so that its full passes, which walked
# ~150,000 objects (a 94 ms pause, every ~600 requests here), walk only what requests left behind.
import_module(settings.ROOT_URLCONF)
gc.collect()
gc.freeze()
