"""A local web shop whose answers each test decides, for the scraper and the scrape jobs."""

from __future__ import annotations

import http.server
import threading
import time
from collections import Counter


class Shop:
    """A local web shop whose answers each test decides, counting the requests it gets."""

    def __init__(self) -> None:
        self.routes: dict[str, list[tuple[int, str, str | bytes]]] = {}
        self.delays: dict[str, float] = {}
        self.hits: Counter[str] = Counter()
        shop = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                shop.hits[path] += 1
                time.sleep(shop.delays.get(path, 0))
                answers = shop.routes.get(path) or [(404, "text/html", "<h1>Not found</h1>")]
                status, content_type, body = answers.pop(0) if len(answers) > 1 else answers[0]
                data = body if isinstance(body, bytes) else body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def page(self, path: str, *answers: tuple[int, str, str | bytes]) -> str:
        self.routes[path] = list(answers)
        return f"http://{self.host}{path}"

    def close(self) -> None:
        self.server.shutdown()


def sale_page(name: str) -> str:
    """A product on sale, as a shop writes it: $14.99, struck through from $19.99 (a
    StrikethroughPrice in its JSON-LD), named ``name``."""
    return f"""<!doctype html><html lang="en"><head><title>Kite – Toy Shop</title>
<script type="application/ld+json">
{{"@context": "https://schema.org", "@type": "Product", "name": "{name}",
 "offers": {{"@type": "Offer", "price": "14.99", "priceCurrency": "USD", "priceSpecification":
 {{"@type": "UnitPriceSpecification", "priceType": "https://schema.org/StrikethroughPrice", "price": "19.99"}}}}}}
</script></head><body><h1>{name}</h1><p><s>$19.99</s> <b>$14.99</b></p></body></html>"""
