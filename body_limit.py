"""Every request body is held to MAX_BODY_BYTES, however it is framed.

With Content-Length, Werkzeug refuses an oversized body itself (413). A
streamed body (Transfer-Encoding: chunked) has no length to check, and
Werkzeug's stream limit stops reading at MAX_BODY_BYTES and hands over the
part read as if it were all: an oversized body would be parsed cut short, and
its first megabyte could create a user. This middleware reads such a body, one
byte past the limit at most, and gives it a Content-Length, so every API sees
one framing and answers 413 in its own error format.
"""
import io

_READ = 65_536


class BodyLimit:
    def __init__(self, wsgi_app, limit):
        self.wsgi_app, self.limit = wsgi_app, limit

    def __call__(self, environ, start_response):
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            body = self._read(environ["wsgi.input"])
            environ["wsgi.input"] = io.BytesIO(body)
            # One byte over is enough for Werkzeug to refuse it (413) when the body is read.
            environ["CONTENT_LENGTH"] = str(len(body))
            del environ["HTTP_TRANSFER_ENCODING"]
            environ.pop("wsgi.input_terminated", None)
        return self.wsgi_app(environ, start_response)

    def _read(self, stream):
        chunks, size = [], 0
        while size <= self.limit:
            chunk = stream.read(min(_READ, self.limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
