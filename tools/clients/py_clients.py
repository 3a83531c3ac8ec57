#!/usr/bin/env python3
"""Asks a Pactus node behind TLS for a block hash with the official Python clients, called the way
their READMEs and examples do, and prints one JSON line:
  {"jsonrpc": {"url": ..., "hash": ...}, "grpc": {"target": ..., "hash": ...}}
(a client that fails has "error" instead of "hash"; the exit status is then 1).

- pactus-jsonrpc: PactusOpenRPCClient(headers={}, client_url="https://<domain>/jsonrpc", verify=<CA>)
  (keyword arguments go to httpx), then client.pactus.blockchain.get_block_hash(height=...).
- pactus-grpc: BlockchainStub over grpc.secure_channel("<domain>:443",
  grpc.ssl_channel_credentials(root_certificates=<CA>)), then GetBlockHash(height=...) at the root
  (/pactus.Blockchain/GetBlockHash), as any standard gRPC client calls.

The domain is resolved as usual (DNS, /etc/hosts) and the certificate checked against --ca.
Run it with the python that tools/clients/venv.sh prints.
"""
import argparse
import asyncio
import json
import sys

import grpc
from pactus_grpc import blockchain_pb2, blockchain_pb2_grpc
from pactus_jsonrpc.client import PactusOpenRPCClient


def jsonrpc_hash(url: str, ca: str, height: int) -> str:
    client = PactusOpenRPCClient(headers={}, client_url=url, verify=ca, timeout=10)
    result = asyncio.run(client.pactus.blockchain.get_block_hash(height=height))
    return result["hash"]


def grpc_hash(target: str, ca: str, height: int) -> str:
    with open(ca, "rb") as f:
        creds = grpc.ssl_channel_credentials(root_certificates=f.read())
    with grpc.secure_channel(target, creds) as channel:
        stub = blockchain_pb2_grpc.BlockchainStub(channel)
        reply = stub.GetBlockHash(blockchain_pb2.GetBlockHashRequest(height=height), timeout=10)
        return reply.hash


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--domain", required=True, help="the node's domain (its certificate's name)")
    p.add_argument("--ca", required=True, help="PEM file of the CA that signed the certificate")
    p.add_argument("--height", type=int, default=1)
    args = p.parse_args()

    out = {
        "jsonrpc": {"url": f"https://{args.domain}/jsonrpc"},
        "grpc": {"target": f"{args.domain}:443"},
    }
    calls = {
        "jsonrpc": lambda: jsonrpc_hash(out["jsonrpc"]["url"], args.ca, args.height),
        "grpc": lambda: grpc_hash(out["grpc"]["target"], args.ca, args.height),
    }
    for name, call in calls.items():
        try:
            out[name]["hash"] = call()
        except grpc.RpcError as e:
            out[name]["error"] = f"gRPC {e.code().name}: {e.details()}"
        except Exception as e:  # noqa: BLE001 - reported, not raised: the other client still runs
            out[name]["error"] = f"{type(e).__name__}: {e}"
    print(json.dumps(out))
    return 0 if all("hash" in v for v in out.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
