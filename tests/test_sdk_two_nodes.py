"""The official `symbl` SDK's docs-page calls (tests/test_sdk_conformance.py's script and checks) against two
engine API nodes on one PostgreSQL database and one media folder: pointed at node A, at node B, then through
a round-robin proxy over both, where every request of the one SDK client — its token, each upload, each job
poll and read — lands on the other node than the one before.

Both nodes run the real engine with one worker each, so either may run any job, whichever node accepted it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from bot.engine.server import EngineServer
from tests.engine_api_support import SAMPLE, check_docs_page_steps, running_engine
from tests.support.files import FileServer
from tests.support.round_robin import RoundRobinProxy
from tests.test_engine_shared_database import node_settings
from tests.test_sdk_conformance import run_sdk

pytestmark = pytest.mark.engine


@pytest.fixture
def two_nodes(tmp_path, postgres_cluster) -> Iterator[list[EngineServer]]:
    pytest.importorskip("symbl", reason="install the SDK as in the README's test command")
    url = postgres_cluster.new_database()
    with ExitStack() as stack:
        yield [stack.enter_context(running_engine(node_settings(tmp_path, name, url))) for name in "ab"]


@pytest.fixture
def media_url() -> Iterator[str]:
    files = FileServer(SAMPLE.parent)
    yield f"{files.url}/{SAMPLE.name}"
    files.close()


@pytest.mark.parametrize("node", [0, 1], ids=["node_a", "node_b"])
def test_the_docs_page_calls_work_against_either_node(two_nodes, media_url, node):
    check_docs_page_steps(run_sdk(two_nodes[node].url, media_url))


def test_the_docs_page_calls_work_when_each_request_goes_to_the_other_node(two_nodes, media_url):
    with RoundRobinProxy([node.url for node in two_nodes]) as proxy:
        check_docs_page_steps(run_sdk(proxy.url, media_url))

    assert min(proxy.served) >= 10, proxy.served  # both nodes took part throughout
    assert all(status < 400 for *_, status in proxy.log), proxy.log
    # The SDK mints one token and keeps it: node A issued it, and node B accepted the first upload with it.
    assert [(index, path) for index, _, path, _ in proxy.log if path.startswith("/oauth2/")] == [
        (0, "/oauth2/token:generate")
    ]
    assert proxy.log[1][:2] == (1, "POST") and proxy.log[1][2].startswith("/v1/process/audio?")
