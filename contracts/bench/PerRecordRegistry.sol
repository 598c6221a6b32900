// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/**
 * @title PerRecordRegistry
 * @notice Bench-only baseline: a trade's life kept as one storage record per document and
 * per state change, the shape most registries start with. `sandan bench` measures it beside
 * TradeRegistry and EAS; the service never deploys it.
 * @dev Each record is one slot (kind, timestamp, writer) keyed by the document hash or by
 * `keccak256(tradeId, kind)`, so every document and every state change costs exactly one
 * fresh SSTORE plus one event carrying the 32-byte payload the slot has no room for.
 * Batches take arrays only to share the 21,000 transaction base, as TradeRegistry does.
 * The state rules the service relies on are kept: release needs a matched verdict and
 * happens once; settlement needs a release.
 */
contract PerRecordRegistry {
    enum Kind {
        None,
        Document,
        Verdict,
        Release,
        Settlement
    }

    struct Record {
        Kind kind;
        bool matched;
        uint40 recordedAt;
        address recordedBy;
    }

    mapping(bytes32 key => Record) public records;

    event Recorded(bytes32 indexed key, Kind indexed kind, bytes32 payload);

    error AlreadyRecorded(bytes32 key);
    error NotMatched(bytes32 tradeId);
    error NotReleased(bytes32 tradeId);

    function recordDocuments(bytes32[] calldata documentHashes) external {
        for (uint256 i = 0; i < documentHashes.length; ++i) {
            _put(documentHashes[i], Kind.Document, false, documentHashes[i]);
        }
    }

    function recordVerdicts(bytes32[] calldata tradeIds, bytes32[] calldata verdictHashes, bool[] calldata matched)
        external
    {
        for (uint256 i = 0; i < tradeIds.length; ++i) {
            _put(keyOf(tradeIds[i], Kind.Verdict), Kind.Verdict, matched[i], verdictHashes[i]);
        }
    }

    function releaseBatch(bytes32[] calldata tradeIds) external {
        for (uint256 i = 0; i < tradeIds.length; ++i) {
            if (!records[keyOf(tradeIds[i], Kind.Verdict)].matched) revert NotMatched(tradeIds[i]);
            _put(keyOf(tradeIds[i], Kind.Release), Kind.Release, false, tradeIds[i]);
        }
    }

    function settleBatch(bytes32[] calldata tradeIds, bytes32[] calldata settlementRefs) external {
        for (uint256 i = 0; i < tradeIds.length; ++i) {
            if (records[keyOf(tradeIds[i], Kind.Release)].kind != Kind.Release) revert NotReleased(tradeIds[i]);
            _put(keyOf(tradeIds[i], Kind.Settlement), Kind.Settlement, false, settlementRefs[i]);
        }
    }

    function keyOf(bytes32 tradeId, Kind kind) public pure returns (bytes32) {
        return keccak256(abi.encode(tradeId, kind));
    }

    function _put(bytes32 key, Kind kind, bool matched, bytes32 payload) private {
        if (records[key].kind != Kind.None) revert AlreadyRecorded(key);
        records[key] = Record(kind, matched, uint40(block.timestamp), msg.sender);
        emit Recorded(key, kind, payload);
    }
}
