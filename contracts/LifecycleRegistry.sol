// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ILifecycleRegistry} from "./interfaces/ILifecycleRegistry.sol";
import {ITradeLifecycleGuard, ITradeRegistry} from "./interfaces/ITradeRegistry.sol";

/**
 * @dev The life of a trade after its verdict: declared value, returns, cancellation, FX
 * settlement, typed financing and warehouse receipts (see {ILifecycleRegistry}).
 *
 * It lives apart from {TradeRegistry} because that contract is near EIP-170's size limit, and
 * it takes every role decision from there, so a party revoked there is revoked here too.
 *
 * Cost: a trade's life is one packed word, written once per trade per step (a declaration is
 * a fresh word; a return, a cancellation and an FX part update it); a settlement adds two
 * words however many trades it nets, and its hash's slot. Trades are read from the trade
 * registry with one `tradeAt` call each, warm after the first of a batch. The cancelled and
 * typed-financed positions are also bits of two masks, 256 positions to a word, so the trade
 * registry learns about a whole selection with a storage read per mask word ({blockedIn}).
 */
contract LifecycleRegistry is ILifecycleRegistry {
    // The trade registry's role ids (`keccak256` of their names, as it declares them).
    bytes32 private constant _ANCHORER_ROLE = keccak256("ANCHORER_ROLE");
    bytes32 private constant _CUSTOMS_ROLE = keccak256("CUSTOMS_ROLE");
    bytes32 private constant _BANK_ROLE = keccak256("BANK_ROLE");

    /// @inheritdoc ILifecycleRegistry
    uint256 public constant MAX_TRADES_PER_CALL = 4096;

    /// @dev Trade subjects are `batch << 32 | position`, under 2**96; receipt ids are above.
    uint256 private constant _TRADE_SUBJECT_LIMIT = 1 << 96;

    /// @inheritdoc ITradeLifecycleGuard
    address public immutable tradeRegistry;

    uint32 private _fxSettlementCount;
    uint32 private _financingCount;
    /// @dev Key `batch << 32 | position`, as a trade's financing subject.
    mapping(uint256 key => TradeLife) private _lives;
    mapping(uint32 settlementId => FxSettlement) private _fxSettlements;
    mapping(bytes32 settlementHash => uint32 settlementId) private _fxSettlementIds;
    mapping(uint32 financingId => Financing) private _financings;
    mapping(bytes32 receiptId => WarehouseReceipt) private _receipts;
    /// @dev Key `batch << 32 | position / 256`: bit `position % 256` is set when the position
    /// was cancelled (the mask layout of the trade registry, for {blockedIn}).
    mapping(uint256 key => uint256 bits) private _cancelledMask;
    /// @dev Key and bit as {_cancelledMask}: set while the position has a live typed financing.
    mapping(uint256 key => uint256 bits) private _financedMask;

    /// @dev `registry` is the TradeRegistry this registry follows, for roles and trade states.
    constructor(address registry) {
        if (registry == address(0)) revert LifecycleRegistryZeroTradeRegistry();
        tradeRegistry = registry;
    }

    // Value, returns, cancellation -------------------------------------------------------

    /// @inheritdoc ILifecycleRegistry
    function declareValues(uint64 batch, uint32[] calldata positions, uint64[] calldata values) external {
        _requireRole(_ANCHORER_ROLE);
        uint256 count = _checkCount(positions.length, values.length);
        for (uint256 k = 0; k < count; ++k) {
            uint32 position = positions[k];
            uint64 value = values[k];
            ITradeRegistry.TradeState state = _stateOf(batch, position);
            if (
                state != ITradeRegistry.TradeState.Matched && state != ITradeRegistry.TradeState.Released
                    && state != ITradeRegistry.TradeState.Settled
            ) revert LifecycleRegistryTradeState(batch, position, state);
            if (value == 0) revert LifecycleRegistryZeroAmount(batch, position);
            TradeLife storage life = _lives[_key(batch, position)];
            if (life.cancelled) revert LifecycleRegistryTradeCancelled(batch, position);
            if (life.value != 0) revert LifecycleRegistryValueAlreadyDeclared(batch, position, life.value);
            life.value = value;
            emit TradeValueDeclared(batch, position, value);
        }
    }

    /// @inheritdoc ILifecycleRegistry
    function recordReturns(
        uint64 batch,
        uint32[] calldata positions,
        uint64[] calldata amounts,
        bytes32[] calldata returnHashes
    ) external {
        _requireRole(_ANCHORER_ROLE);
        uint256 count = _checkCount(positions.length, amounts.length);
        if (returnHashes.length != count) revert LifecycleRegistryLengthMismatch(count, returnHashes.length);
        for (uint256 k = 0; k < count; ++k) {
            uint32 position = positions[k];
            uint64 amount = amounts[k];
            if (returnHashes[k] == bytes32(0)) revert LifecycleRegistryZeroHash();
            _requireReleased(batch, position);
            TradeLife memory life = _declaredLife(batch, position);
            if (amount == 0) revert LifecycleRegistryZeroAmount(batch, position);
            uint64 available = life.value - life.returned;
            if (amount > available) revert LifecycleRegistryReturnExceedsValue(batch, position, amount, available);
            uint64 total = life.returned + amount;
            _lives[_key(batch, position)].returned = total;
            emit TradeReturned(batch, position, returnHashes[k], amount, total, total == life.value);
        }
    }

    /// @inheritdoc ILifecycleRegistry
    function cancelTrades(uint64 batch, uint32[] calldata positions, bytes32[] calldata receiptHashes) external {
        _requireRole(_CUSTOMS_ROLE);
        uint256 count = _checkCount(positions.length, receiptHashes.length);
        for (uint256 k = 0; k < count; ++k) {
            uint32 position = positions[k];
            if (receiptHashes[k] == bytes32(0)) revert LifecycleRegistryZeroHash();
            (ITradeRegistry.TradeState state, uint32 legacy) = ITradeRegistry(tradeRegistry).tradeAt(batch, position);
            if (state != ITradeRegistry.TradeState.Matched && state != ITradeRegistry.TradeState.Released) {
                revert LifecycleRegistryTradeState(batch, position, state);
            }
            TradeLife storage life = _lives[_key(batch, position)];
            TradeLife memory read = life;
            if (read.cancelled) revert LifecycleRegistryTradeCancelled(batch, position);
            if (read.returned != 0) revert LifecycleRegistryTradeReturned(batch, position, read.returned);
            if (read.fxSettled != 0) revert LifecycleRegistryTradeFxSettled(batch, position, read.fxSettled);
            if (read.liveFinancing != 0) revert LifecycleRegistryTradeFinanced(batch, position, read.liveFinancing);
            if (legacy != 0) revert LifecycleRegistryLegacyFinancing(batch, position, legacy);
            life.cancelled = true;
            _cancelledMask[_maskKey(batch, position)] |= _maskBit(position);
            emit TradeCancelled(batch, position, receiptHashes[k], msg.sender);
        }
    }

    // FX settlement ------------------------------------------------------------------------

    /// @inheritdoc ILifecycleRegistry
    function recordFxSettlement(bytes32 settlementHash, TradeRef[] calldata trades, uint64[] calldata amounts)
        external
        returns (uint32 settlementId)
    {
        _requireRole(_BANK_ROLE);
        if (settlementHash == bytes32(0)) revert LifecycleRegistryZeroHash();
        uint32 used = _fxSettlementIds[settlementHash];
        if (used != 0) revert LifecycleRegistrySettlementHashUsed(settlementHash, used);
        uint256 count = _checkCount(trades.length, amounts.length);
        settlementId = ++_fxSettlementCount;
        uint256 total = 0;
        for (uint256 k = 0; k < count; ++k) {
            uint64 batch = trades[k].batch;
            uint32 position = trades[k].position;
            uint64 amount = amounts[k];
            _requireReleased(batch, position);
            TradeLife memory life = _declaredLife(batch, position);
            if (amount == 0) revert LifecycleRegistryZeroAmount(batch, position);
            // Returns recorded after a settlement may leave `fxSettled` above `value - returned`:
            // then nothing more can be settled on the trade.
            uint64 unreturned = life.value - life.returned;
            uint64 available = life.fxSettled < unreturned ? unreturned - life.fxSettled : 0;
            if (amount > available) revert LifecycleRegistryFxExceedsValue(batch, position, amount, available);
            uint64 settled = life.fxSettled + amount;
            _lives[_key(batch, position)].fxSettled = settled;
            total += amount;
            emit FxSettlementApplied(settlementId, batch, position, amount, settled);
        }
        if (total > type(uint64).max) revert LifecycleRegistryTotalOverflow(settlementHash);
        _fxSettlements[settlementId] = FxSettlement(msg.sender, uint32(count), uint64(total), settlementHash);
        _fxSettlementIds[settlementHash] = settlementId;
        emit FxSettled(settlementId, msg.sender, settlementHash, uint32(count), uint64(total));
    }

    // Typed financing ------------------------------------------------------------------------

    /// @inheritdoc ILifecycleRegistry
    function openTradeFinancing(FinancingKind kind, uint64 batch, uint32 position, uint64 limit, bytes32 termsHash)
        external
        returns (uint32 financingId)
    {
        _requireRole(_BANK_ROLE);
        if (kind != FinancingKind.Order && kind != FinancingKind.Receivable && kind != FinancingKind.TaxRefundPledge) {
            revert LifecycleRegistryFinancingKind(kind);
        }
        if (termsHash == bytes32(0)) revert LifecycleRegistryZeroHash();
        (ITradeRegistry.TradeState state, uint32 legacy) = ITradeRegistry(tradeRegistry).tradeAt(batch, position);
        if (
            state != ITradeRegistry.TradeState.Matched && state != ITradeRegistry.TradeState.Released
                && state != ITradeRegistry.TradeState.Settled
        ) revert LifecycleRegistryTradeState(batch, position, state);
        TradeLife memory life = _declaredLife(batch, position);
        if (life.liveFinancing != 0) revert LifecycleRegistryTradeFinanced(batch, position, life.liveFinancing);
        if (legacy != 0) revert LifecycleRegistryLegacyFinancing(batch, position, legacy);
        uint64 cap = life.value - life.returned;
        if (limit == 0 || limit > cap) revert LifecycleRegistryFinancingLimit(limit, cap);
        uint256 key = _key(batch, position);
        financingId = _openFinancing(kind, bytes32(key), limit, termsHash);
        _lives[key].liveFinancing = financingId;
        _financedMask[_maskKey(batch, position)] |= _maskBit(position);
    }

    /// @inheritdoc ILifecycleRegistry
    function openReceiptFinancing(bytes32 receiptId, uint64 limit, bytes32 termsHash)
        external
        returns (uint32 financingId)
    {
        _requireRole(_BANK_ROLE);
        if (termsHash == bytes32(0)) revert LifecycleRegistryZeroHash();
        WarehouseReceipt storage receipt = _receipts[receiptId];
        ReceiptState state = receipt.state;
        if (state != ReceiptState.Issued) revert LifecycleRegistryReceiptState(receiptId, state);
        uint64 cap = receipt.value;
        if (limit == 0 || limit > cap) revert LifecycleRegistryFinancingLimit(limit, cap);
        financingId = _openFinancing(FinancingKind.WarehouseReceipt, receiptId, limit, termsHash);
        receipt.state = ReceiptState.Pledged;
        receipt.liveFinancing = financingId;
    }

    /// @inheritdoc ILifecycleRegistry
    function drawdown(uint32 financingId, uint64 amount) external {
        Financing storage financing = _openFinancingOfCaller(financingId);
        if (amount == 0) revert LifecycleRegistryZeroFinancingAmount(financingId);
        uint64 available = financing.limit - financing.drawn;
        if (amount > available) revert LifecycleRegistryDrawdownExceedsLimit(financingId, amount, available);
        // `drawn <= limit` and `outstanding <= drawn` hold, so neither sum can overflow.
        uint64 outstanding = financing.outstanding + amount;
        financing.drawn += amount;
        financing.outstanding = outstanding;
        emit FinancingDrawn(financingId, amount, outstanding);
    }

    /// @inheritdoc ILifecycleRegistry
    function repay(uint32 financingId, uint64 amount) external {
        Financing storage financing = _openFinancingOfCaller(financingId);
        if (amount == 0) revert LifecycleRegistryZeroFinancingAmount(financingId);
        uint64 owed = financing.outstanding;
        if (amount > owed) revert LifecycleRegistryRepayExceedsOutstanding(financingId, amount, owed);
        financing.outstanding = owed - amount;
        emit FinancingRepaid(financingId, amount, owed - amount);
    }

    /// @inheritdoc ILifecycleRegistry
    function closeFinancing(uint32 financingId) external {
        Financing storage financing = _openFinancingOfCaller(financingId);
        uint64 owed = financing.outstanding;
        if (owed != 0) revert LifecycleRegistryFinancingOutstanding(financingId, owed);
        financing.open = false;
        bytes32 subject = financing.subject;
        if (financing.kind == FinancingKind.WarehouseReceipt) {
            WarehouseReceipt storage receipt = _receipts[subject];
            receipt.state = ReceiptState.Issued;
            receipt.liveFinancing = 0;
        } else {
            _lives[uint256(subject)].liveFinancing = 0;
            (uint64 batch, uint32 position) = (uint64(uint256(subject) >> 32), uint32(uint256(subject)));
            _financedMask[_maskKey(batch, position)] &= ~_maskBit(position);
        }
        emit FinancingClosed(financingId);
    }

    // Warehouse receipts -------------------------------------------------------------------

    /// @inheritdoc ILifecycleRegistry
    function issueWarehouseReceipt(bytes32 receiptId, bytes32 warehouseId, bytes32 recordHash, uint64 value)
        external
    {
        _requireRole(_ANCHORER_ROLE);
        if (uint256(receiptId) < _TRADE_SUBJECT_LIMIT) revert LifecycleRegistryInvalidReceiptId(receiptId);
        if (warehouseId == bytes32(0) || value == 0) revert LifecycleRegistryInvalidReceipt(receiptId);
        if (recordHash == bytes32(0)) revert LifecycleRegistryZeroHash();
        WarehouseReceipt storage receipt = _receipts[receiptId];
        if (receipt.state != ReceiptState.None) revert LifecycleRegistryReceiptState(receiptId, receipt.state);
        _receipts[receiptId] = WarehouseReceipt(warehouseId, recordHash, value, ReceiptState.Issued, 0);
        emit WarehouseReceiptIssued(receiptId, warehouseId, recordHash, value);
    }

    /// @inheritdoc ILifecycleRegistry
    function cancelWarehouseReceipt(bytes32 receiptId, bytes32 reasonHash) external {
        _requireRole(_ANCHORER_ROLE);
        if (reasonHash == bytes32(0)) revert LifecycleRegistryZeroHash();
        WarehouseReceipt storage receipt = _receipts[receiptId];
        if (receipt.state != ReceiptState.Issued) revert LifecycleRegistryReceiptState(receiptId, receipt.state);
        receipt.state = ReceiptState.Cancelled;
        emit WarehouseReceiptCancelled(receiptId, reasonHash);
    }

    // Views ----------------------------------------------------------------------------------

    /// @inheritdoc ILifecycleRegistry
    function tradeLifeOf(uint64 batch, uint32 position) external view returns (TradeLife memory) {
        return _lives[_key(batch, position)];
    }

    /// @inheritdoc ILifecycleRegistry
    function lifeStateOf(uint64 batch, uint32 position) external view returns (LifeState) {
        TradeLife memory life = _lives[_key(batch, position)];
        if (life.cancelled) return LifeState.Cancelled;
        if (life.value == 0) return LifeState.None;
        if (life.returned == life.value) return LifeState.Returned;
        if (life.returned != 0) return LifeState.PartlyReturned;
        return LifeState.Active;
    }

    /// @inheritdoc ILifecycleRegistry
    function fxSettlementOf(uint32 settlementId) external view returns (FxSettlement memory) {
        return _fxSettlements[settlementId];
    }

    /// @inheritdoc ILifecycleRegistry
    function fxSettlementIdOf(bytes32 settlementHash) external view returns (uint32) {
        return _fxSettlementIds[settlementHash];
    }

    /// @inheritdoc ILifecycleRegistry
    function financingOf(uint32 financingId) external view returns (Financing memory) {
        return _financings[financingId];
    }

    /// @inheritdoc ILifecycleRegistry
    function warehouseReceiptOf(bytes32 receiptId) external view returns (WarehouseReceipt memory) {
        return _receipts[receiptId];
    }

    /// @inheritdoc ILifecycleRegistry
    function liveFinancingOf(bytes32 subject) external view returns (uint32) {
        if (uint256(subject) < _TRADE_SUBJECT_LIMIT) return _lives[uint256(subject)].liveFinancing;
        return _receipts[subject].liveFinancing;
    }

    /// @inheritdoc ITradeLifecycleGuard
    function blockedIn(uint64 batch, uint256[] calldata mask)
        external
        view
        returns (uint256 firstCancelled, uint256 firstFinanced)
    {
        (firstCancelled, firstFinanced) = (type(uint256).max, type(uint256).max);
        uint256 base = uint256(batch) << 32;
        for (uint256 w = 0; w < mask.length; ++w) {
            uint256 selected = mask[w];
            if (selected == 0) continue;
            if (firstCancelled == type(uint256).max) {
                uint256 hit = selected & _cancelledMask[base | w];
                if (hit != 0) firstCancelled = 256 * w + _lowestBit(hit);
            }
            if (firstFinanced == type(uint256).max) {
                uint256 hit = selected & _financedMask[base | w];
                if (hit != 0) firstFinanced = 256 * w + _lowestBit(hit);
            }
        }
    }

    /// @inheritdoc ILifecycleRegistry
    function tradeSubject(uint64 batch, uint32 position) external pure returns (bytes32) {
        return bytes32(_key(batch, position));
    }

    /// @inheritdoc ILifecycleRegistry
    function counts() external view returns (uint32 fxSettlements, uint32 financings) {
        return (_fxSettlementCount, _financingCount);
    }

    // Internals ------------------------------------------------------------------------------

    function _requireRole(bytes32 role) private view {
        if (!IAccessControl(tradeRegistry).hasRole(role, msg.sender)) {
            revert LifecycleRegistryUnauthorized(msg.sender, role);
        }
    }

    /// @dev The count of a batch call whose two parallel arrays have lengths `count` and `other`.
    function _checkCount(uint256 count, uint256 other) private pure returns (uint256) {
        if (count == 0 || count > MAX_TRADES_PER_CALL) revert LifecycleRegistryTradeCount(count);
        if (other != count) revert LifecycleRegistryLengthMismatch(count, other);
        return count;
    }

    function _stateOf(uint64 batch, uint32 position) private view returns (ITradeRegistry.TradeState state) {
        (state,) = ITradeRegistry(tradeRegistry).tradeAt(batch, position);
    }

    /// @dev Returns and money after release: the trade is Released or Settled.
    function _requireReleased(uint64 batch, uint32 position) private view {
        ITradeRegistry.TradeState state = _stateOf(batch, position);
        if (state != ITradeRegistry.TradeState.Released && state != ITradeRegistry.TradeState.Settled) {
            revert LifecycleRegistryTradeState(batch, position, state);
        }
    }

    /// @dev The trade's life, which must have a declared value and no cancellation.
    function _declaredLife(uint64 batch, uint32 position) private view returns (TradeLife memory life) {
        life = _lives[_key(batch, position)];
        if (life.cancelled) revert LifecycleRegistryTradeCancelled(batch, position);
        if (life.value == 0) revert LifecycleRegistryValueNotDeclared(batch, position);
    }

    function _openFinancing(FinancingKind kind, bytes32 subject, uint64 limit, bytes32 termsHash)
        private
        returns (uint32 financingId)
    {
        financingId = ++_financingCount;
        _financings[financingId] = Financing(limit, 0, 0, kind, true, msg.sender, subject, termsHash);
        emit FinancingOpened(financingId, msg.sender, kind, subject, limit, termsHash);
    }

    /// @dev Financing `financingId`, which must be open and the caller's.
    function _openFinancingOfCaller(uint32 financingId) private view returns (Financing storage financing) {
        financing = _financings[financingId];
        address bank = financing.bank;
        if (bank == address(0)) revert LifecycleRegistryUnknownFinancing(financingId);
        if (bank != msg.sender) revert LifecycleRegistryNotFinancier(financingId, bank, msg.sender);
        if (!financing.open) revert LifecycleRegistryFinancingClosed(financingId);
    }

    function _maskKey(uint64 batch, uint32 position) private pure returns (uint256) {
        return (uint256(batch) << 32) | (position / 256);
    }

    function _maskBit(uint32 position) private pure returns (uint256) {
        return uint256(1) << (position % 256);
    }

    /// @dev The index of the lowest set bit of `x`, which is not zero, by halving the search.
    function _lowestBit(uint256 x) private pure returns (uint256 index) {
        for (uint256 width = 128; width != 0; width >>= 1) {
            if (x & ((uint256(1) << width) - 1) == 0) {
                x >>= width;
                index += width;
            }
        }
    }

    function _key(uint64 batch, uint32 position) private pure returns (uint256) {
        return (uint256(batch) << 32) | position;
    }
}
