// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ITradeLifecycleGuard, ITradeRegistry} from "./ITradeRegistry.sol";

/**
 * @dev External interface of {LifecycleRegistry}: the life of a trade after its match verdict,
 * next to {ITradeRegistry} (which is near EIP-170's size limit): the declared value, returns
 * (退货), customs' cancellation of the inventory (撤单), foreign-exchange settlement with
 * netting (收结汇, 轧差结算), typed financing (order, receivable, warehouse receipt and
 * tax-refund-account pledge) and warehouse receipts (仓单).
 *
 * The registry holds no roles of its own: it asks its {tradeRegistry} `hasRole(role, caller)`
 * with that registry's `ANCHORER_ROLE`, `CUSTOMS_ROLE` and `BANK_ROLE`, so who is the
 * anchorer, customs or a bank is decided in one place, and reads a trade's state and legacy
 * financing with `ITradeRegistry.tradeAt(batch, position)`. A trade is named, as there, by
 * its verdict batch and position.
 *
 * Every amount is a `uint64` in minor units (fen, cents) of the trade's currency, the
 * currency of its declared value. Each trade has one {TradeLife} word: its declared value
 * (zero: not declared), the totals returned and FX-settled, its live typed financing and
 * whether customs cancelled it. An action changes that one storage word per trade. The caps
 * hold at every step: `returned <= value`, `fxSettled <= value - returned` (when it was
 * recorded), a financing's limit at most the trade's unreturned value or the receipt's value,
 * its drawdowns at most its limit, its repayments at most what is outstanding.
 *
 * At most one financing is live per trade or warehouse receipt: a typed one here, or a
 * financing registered in {ITradeRegistry} (which blocks a typed one and a cancellation).
 * The trade registry enforces the other direction by asking {blockedIn} (it is this
 * registry's {ITradeLifecycleGuard} side): besides each trade's {TradeLife}, the registry
 * keeps per verdict batch two bitmasks of the trade registry's mask layout, 256 positions to
 * a storage word, of the cancelled positions and of those under a live typed financing; the
 * trade registry then refuses a legacy financing of either and the release or settlement of
 * a cancelled one.
 * A financing's `subject` is `bytes32(uint256(batch) << 32 | position)` for a trade, the
 * receipt id for a warehouse receipt; receipt ids are therefore refused in the trade range
 * (below `2**96`).
 *
 * This file is the single source of truth for the registry's types, errors and events.
 */
interface ILifecycleRegistry is ITradeLifecycleGuard {
    /// @dev What a financing lends on. `None` is never opened; `WarehouseReceipt` only by
    /// {openReceiptFinancing}, the others only by {openTradeFinancing}.
    enum FinancingKind {
        None,
        Order,
        Receivable,
        WarehouseReceipt,
        TaxRefundPledge
    }

    /// @dev Where a warehouse receipt stands. `None`: never issued. `Pledged`: under a live
    /// financing (back to `Issued` when it closes).
    enum ReceiptState {
        None,
        Issued,
        Pledged,
        Cancelled
    }

    /// @dev Where a trade stands after its verdict, read from its {TradeLife}. `None`: no value
    /// declared (and not cancelled).
    enum LifeState {
        None,
        Active,
        PartlyReturned,
        Returned,
        Cancelled
    }

    /// @dev One trade's life, one storage word: declared `value` (zero: not declared), the
    /// totals `returned` and `fxSettled`, the id of its live typed financing (zero: none) and
    /// whether customs cancelled it.
    struct TradeLife {
        uint64 value;
        uint64 returned;
        uint64 fxSettled;
        uint32 liveFinancing;
        bool cancelled;
    }

    /// @dev A trade of a netting settlement: its verdict batch and position.
    struct TradeRef {
        uint64 batch;
        uint32 position;
    }

    /// @dev One FX settlement: the bank, how many trades it covered and their total, under the
    /// hash of the bank's settlement record. `bank` is zero when there is no such settlement.
    struct FxSettlement {
        address bank;
        uint32 count;
        uint64 total;
        bytes32 settlementHash;
    }

    /// @dev One typed financing. The first word (limit, drawn, outstanding, kind, open) is the
    /// only one a drawdown, repayment or closing writes. `drawn` is the total ever drawn (at
    /// most `limit`), `outstanding` what is drawn and not repaid. `bank` is zero when there is
    /// no such financing.
    struct Financing {
        uint64 limit;
        uint64 drawn;
        uint64 outstanding;
        FinancingKind kind;
        bool open;
        address bank;
        bytes32 subject;
        bytes32 termsHash;
    }

    /// @dev A warehouse receipt: the warehouse (`keccak256(bytes(party code))`), the hash of the
    /// warehouse's signed receipt record, its value in minor units, its state and, while
    /// pledged, the financing holding it.
    struct WarehouseReceipt {
        bytes32 warehouseId;
        bytes32 recordHash;
        uint64 value;
        ReceiptState state;
        uint32 liveFinancing;
    }

    /**
     * @dev The trade registry given to the constructor is the zero address.
     */
    error LifecycleRegistryZeroTradeRegistry();

    /**
     * @dev The caller lacks `role` in the trade registry.
     * @param account The caller.
     * @param role The role it needs (`ANCHORER_ROLE`, `CUSTOMS_ROLE` or `BANK_ROLE`).
     */
    error LifecycleRegistryUnauthorized(address account, bytes32 role);

    /**
     * @dev A batch call names no trade, or more than {MAX_TRADES_PER_CALL}.
     * @param count Trades given.
     */
    error LifecycleRegistryTradeCount(uint256 count);

    /**
     * @dev Parallel arrays of a batch call differ in length.
     * @param expected Length of the first array.
     * @param actual Length of the array that differs.
     */
    error LifecycleRegistryLengthMismatch(uint256 expected, uint256 actual);

    /**
     * @dev The trade's state in the trade registry does not allow this step (a mismatch, an
     * unknown or superseded position, not yet released, or already settled for a cancellation).
     * @param batch Verdict batch of the trade.
     * @param position Its position.
     * @param state Its state in the trade registry.
     */
    error LifecycleRegistryTradeState(uint64 batch, uint32 position, ITradeRegistry.TradeState state);

    /**
     * @dev A declared value, return amount or FX amount is zero.
     */
    error LifecycleRegistryZeroAmount(uint64 batch, uint32 position);

    /**
     * @dev The trade's value was declared before; it is declared once.
     * @param value The value declared then.
     */
    error LifecycleRegistryValueAlreadyDeclared(uint64 batch, uint32 position, uint64 value);

    /**
     * @dev The step needs the trade's value, and none was declared.
     */
    error LifecycleRegistryValueNotDeclared(uint64 batch, uint32 position);

    /**
     * @dev Customs cancelled the trade: nothing else happens to it.
     */
    error LifecycleRegistryTradeCancelled(uint64 batch, uint32 position);

    /**
     * @dev A return hash, cancellation receipt hash, settlement hash, terms hash, record hash
     * or reason hash is zero.
     */
    error LifecycleRegistryZeroHash();

    /**
     * @dev The return would take the trade's returned total past its value.
     * @param amount Amount of this return.
     * @param available What is left to return: `value - returned`.
     */
    error LifecycleRegistryReturnExceedsValue(uint64 batch, uint32 position, uint64 amount, uint64 available);

    /**
     * @dev A cancellation of a trade with returns recorded.
     * @param returned Its returned total.
     */
    error LifecycleRegistryTradeReturned(uint64 batch, uint32 position, uint64 returned);

    /**
     * @dev A cancellation of a trade with foreign exchange settled on it.
     * @param fxSettled Its FX-settled total.
     */
    error LifecycleRegistryTradeFxSettled(uint64 batch, uint32 position, uint64 fxSettled);

    /**
     * @dev The trade has a live typed financing (one at a time; none for a cancellation).
     * @param financingId The live financing.
     */
    error LifecycleRegistryTradeFinanced(uint64 batch, uint32 position, uint32 financingId);

    /**
     * @dev The trade carries a financing registered in the trade registry and not discharged.
     * @param financingId That registry's financing id.
     */
    error LifecycleRegistryLegacyFinancing(uint64 batch, uint32 position, uint32 financingId);

    /**
     * @dev The settlement hash was used by an earlier FX settlement; a settlement is recorded once.
     * @param settlementHash The hash.
     * @param settlementId The settlement recorded under it.
     */
    error LifecycleRegistrySettlementHashUsed(bytes32 settlementHash, uint32 settlementId);

    /**
     * @dev The FX amount would take the trade's FX-settled total past its unreturned value.
     * @param amount Amount settled on the trade by this settlement.
     * @param available What is left to settle: `value - returned - fxSettled`.
     */
    error LifecycleRegistryFxExceedsValue(uint64 batch, uint32 position, uint64 amount, uint64 available);

    /**
     * @dev The total of a settlement does not fit in 64 bits.
     */
    error LifecycleRegistryTotalOverflow(bytes32 settlementHash);

    /**
     * @dev A financing of a kind this function does not open.
     */
    error LifecycleRegistryFinancingKind(FinancingKind kind);

    /**
     * @dev A financing's limit is zero or above what it may lend on.
     * @param limit Limit asked.
     * @param cap The most it may be: the trade's unreturned value or the receipt's value.
     */
    error LifecycleRegistryFinancingLimit(uint64 limit, uint64 cap);

    /**
     * @dev No financing has this number.
     */
    error LifecycleRegistryUnknownFinancing(uint32 financingId);

    /**
     * @dev Only the bank that opened a financing draws, repays and closes it.
     * @param financingId Financing concerned.
     * @param bank Bank holding it.
     * @param caller Account that tried.
     */
    error LifecycleRegistryNotFinancier(uint32 financingId, address bank, address caller);

    /**
     * @dev The financing was closed.
     */
    error LifecycleRegistryFinancingClosed(uint32 financingId);

    /**
     * @dev A drawdown or repayment of zero.
     */
    error LifecycleRegistryZeroFinancingAmount(uint32 financingId);

    /**
     * @dev The drawdown would take the total drawn past the limit.
     * @param amount Amount asked.
     * @param available What is left: `limit - drawn`.
     */
    error LifecycleRegistryDrawdownExceedsLimit(uint32 financingId, uint64 amount, uint64 available);

    /**
     * @dev The repayment is more than is outstanding.
     */
    error LifecycleRegistryRepayExceedsOutstanding(uint32 financingId, uint64 amount, uint64 outstanding);

    /**
     * @dev The financing cannot close while money is outstanding.
     */
    error LifecycleRegistryFinancingOutstanding(uint32 financingId, uint64 outstanding);

    /**
     * @dev A receipt id is zero or in the range of trade subjects (below `2**96`).
     */
    error LifecycleRegistryInvalidReceiptId(bytes32 receiptId);

    /**
     * @dev A receipt's warehouse id is zero, or its value is zero.
     */
    error LifecycleRegistryInvalidReceipt(bytes32 receiptId);

    /**
     * @dev The receipt's state does not allow this step (issued twice, unknown, cancelled, or
     * pledged: a pledged receipt is neither pledged again nor cancelled).
     * @param state Its state.
     */
    error LifecycleRegistryReceiptState(bytes32 receiptId, ReceiptState state);

    /**
     * @dev The anchorer declared the value of a trade.
     */
    event TradeValueDeclared(uint64 indexed batch, uint32 indexed position, uint64 value);

    /**
     * @dev The anchorer recorded a return sandan accepted. `whole` is true when the returned
     * total reached the value.
     */
    event TradeReturned(
        uint64 indexed batch,
        uint32 indexed position,
        bytes32 returnHash,
        uint64 amount,
        uint64 returnedTotal,
        bool whole
    );

    /**
     * @dev Customs cancelled a trade's inventory, under the hash of its cancellation receipt.
     */
    event TradeCancelled(uint64 indexed batch, uint32 indexed position, bytes32 receiptHash, address indexed customs);

    /**
     * @dev A bank recorded an FX settlement covering `count` trades for `total`.
     */
    event FxSettled(
        uint32 indexed settlementId, address indexed bank, bytes32 settlementHash, uint32 count, uint64 total
    );

    /**
     * @dev One trade's part of an FX settlement, and the trade's FX-settled total after it.
     */
    event FxSettlementApplied(
        uint32 indexed settlementId, uint64 indexed batch, uint32 indexed position, uint64 amount, uint64 fxSettledTotal
    );

    /**
     * @dev A bank opened a typed financing of `subject` (a trade or a warehouse receipt).
     */
    event FinancingOpened(
        uint32 indexed financingId,
        address indexed bank,
        FinancingKind kind,
        bytes32 indexed subject,
        uint64 limit,
        bytes32 termsHash
    );

    /**
     * @dev The bank drew `amount`; `outstanding` is what is owed after it.
     */
    event FinancingDrawn(uint32 indexed financingId, uint64 amount, uint64 outstanding);

    /**
     * @dev The bank recorded a repayment of `amount`; `outstanding` is what is owed after it.
     */
    event FinancingRepaid(uint32 indexed financingId, uint64 amount, uint64 outstanding);

    /**
     * @dev The bank closed a financing; its trade or receipt is free again.
     */
    event FinancingClosed(uint32 indexed financingId);

    /**
     * @dev The anchorer relayed a warehouse's receipt record.
     */
    event WarehouseReceiptIssued(bytes32 indexed receiptId, bytes32 indexed warehouseId, bytes32 recordHash, uint64 value);

    /**
     * @dev The anchorer cancelled a warehouse receipt, under the hash of the reason.
     */
    event WarehouseReceiptCancelled(bytes32 indexed receiptId, bytes32 reasonHash);

    /**
     * @dev Declares the values of trades of verdict batch `batch`: `values[k]` for
     * `positions[k]`, in minor units of the trade's currency. A value is declared once.
     *
     * Requirements:
     *
     * - the caller has the trade registry's `ANCHORER_ROLE`;
     * - one to {MAX_TRADES_PER_CALL} positions, one value each;
     * - each position is Matched, Released or Settled in the trade registry, not cancelled,
     *   its value not declared, and the value is not zero.
     *
     * Emits a {TradeValueDeclared} event per trade.
     */
    function declareValues(uint64 batch, uint32[] calldata positions, uint64[] calldata values) external;

    /**
     * @dev Records returns sandan accepted: `amounts[k]` returned on `positions[k]` under the
     * hash `returnHashes[k]` of the accepted return application.
     *
     * Requirements:
     *
     * - the caller has the trade registry's `ANCHORER_ROLE`;
     * - one to {MAX_TRADES_PER_CALL} positions, one amount and one non-zero hash each;
     * - each position is Released or Settled, its value declared, not cancelled;
     * - each amount is not zero and keeps the returned total at most the value.
     *
     * Emits a {TradeReturned} event per trade.
     */
    function recordReturns(
        uint64 batch,
        uint32[] calldata positions,
        uint64[] calldata amounts,
        bytes32[] calldata returnHashes
    ) external;

    /**
     * @dev Cancels trades' inventories (撤单), each under the hash of customs' receipt.
     *
     * Requirements:
     *
     * - the caller has the trade registry's `CUSTOMS_ROLE`;
     * - one to {MAX_TRADES_PER_CALL} positions, one non-zero hash each;
     * - each position is Matched or Released (not Settled) and not cancelled;
     * - nothing returned, no FX settled, no live typed financing and no undischarged financing
     *   in the trade registry.
     *
     * Emits a {TradeCancelled} event per trade.
     */
    function cancelTrades(uint64 batch, uint32[] calldata positions, bytes32[] calldata receiptHashes) external;

    /**
     * @dev Records one FX settlement (one bank record, netting `trades.length` trades): the
     * caller settled `amounts[k]` on `trades[k]`. Returns the settlement's number (1, 2, ...).
     *
     * Requirements:
     *
     * - the caller has the trade registry's `BANK_ROLE`;
     * - `settlementHash` is not zero and was not used before;
     * - one to {MAX_TRADES_PER_CALL} trades, one amount each;
     * - each trade is Released or Settled, its value declared, not cancelled;
     * - each amount is not zero and keeps the trade's FX-settled total at most its value less
     *   its returned total (a trade named twice is held to this for both parts together).
     *
     * Emits an {FxSettled} event and an {FxSettlementApplied} event per trade.
     */
    function recordFxSettlement(bytes32 settlementHash, TradeRef[] calldata trades, uint64[] calldata amounts)
        external
        returns (uint32 settlementId);

    /**
     * @dev Opens the caller's financing of kind `kind` (Order, Receivable or TaxRefundPledge)
     * of a trade, up to `limit`, on the terms hashed as `termsHash`. Returns its number.
     *
     * Requirements:
     *
     * - the caller has the trade registry's `BANK_ROLE`;
     * - `termsHash` is not zero;
     * - the trade is Matched, Released or Settled, its value declared, not cancelled;
     * - it has no live typed financing and no undischarged financing in the trade registry;
     * - `0 < limit <= value - returned`.
     *
     * Emits a {FinancingOpened} event.
     */
    function openTradeFinancing(FinancingKind kind, uint64 batch, uint32 position, uint64 limit, bytes32 termsHash)
        external
        returns (uint32 financingId);

    /**
     * @dev Opens the caller's warehouse-receipt pledge financing (仓单质押) of `receiptId`, up to
     * `limit`, on the terms hashed as `termsHash`; the receipt becomes Pledged. Returns its number.
     *
     * Requirements:
     *
     * - the caller has the trade registry's `BANK_ROLE`;
     * - `termsHash` is not zero;
     * - the receipt is Issued;
     * - `0 < limit <= ` the receipt's value.
     *
     * Emits a {FinancingOpened} event.
     */
    function openReceiptFinancing(bytes32 receiptId, uint64 limit, bytes32 termsHash)
        external
        returns (uint32 financingId);

    /**
     * @dev Records the bank's drawdown of `amount` under financing `financingId`.
     *
     * Requirements:
     *
     * - the caller is the bank that opened the financing, and it is open;
     * - `amount` is not zero and keeps the total drawn at most the limit.
     *
     * Emits a {FinancingDrawn} event.
     */
    function drawdown(uint32 financingId, uint64 amount) external;

    /**
     * @dev Records a repayment of `amount` under financing `financingId`.
     *
     * Requirements:
     *
     * - the caller is the bank that opened the financing, and it is open;
     * - `amount` is not zero and at most what is outstanding.
     *
     * Emits a {FinancingRepaid} event.
     */
    function repay(uint32 financingId, uint64 amount) external;

    /**
     * @dev Closes financing `financingId`: its trade can be financed again, its receipt is
     * Issued again. The opening bank may close even if its `BANK_ROLE` was revoked since.
     *
     * Requirements:
     *
     * - the caller is the bank that opened the financing, and it is open;
     * - nothing is outstanding.
     *
     * Emits a {FinancingClosed} event.
     */
    function closeFinancing(uint32 financingId) external;

    /**
     * @dev Issues a warehouse receipt: sandan relays the warehouse's signed receipt record,
     * hashed as `recordHash`, of goods worth `value` minor units.
     *
     * Requirements:
     *
     * - the caller has the trade registry's `ANCHORER_ROLE`;
     * - `receiptId` is at least `2**96` (not a trade subject) and was never issued;
     * - `warehouseId`, `recordHash` and `value` are not zero.
     *
     * Emits a {WarehouseReceiptIssued} event.
     */
    function issueWarehouseReceipt(bytes32 receiptId, bytes32 warehouseId, bytes32 recordHash, uint64 value)
        external;

    /**
     * @dev Cancels a warehouse receipt for the reason hashed as `reasonHash`.
     *
     * Requirements:
     *
     * - the caller has the trade registry's `ANCHORER_ROLE`;
     * - the receipt is Issued (not pledged, not cancelled);
     * - `reasonHash` is not zero.
     *
     * Emits a {WarehouseReceiptCancelled} event.
     */
    function cancelWarehouseReceipt(bytes32 receiptId, bytes32 reasonHash) external;

    /**
     * @dev Returns the most trades one batch call takes.
     */
    function MAX_TRADES_PER_CALL() external view returns (uint256);

    /**
     * @dev Returns the life of a trade; all fields are zero when nothing was recorded.
     */
    function tradeLifeOf(uint64 batch, uint32 position) external view returns (TradeLife memory);

    /**
     * @dev Returns where a trade stands: {LifeState}.
     */
    function lifeStateOf(uint64 batch, uint32 position) external view returns (LifeState);

    /**
     * @dev Returns FX settlement `settlementId`; all fields are zero when there is none.
     */
    function fxSettlementOf(uint32 settlementId) external view returns (FxSettlement memory);

    /**
     * @dev Returns the number of the FX settlement recorded under `settlementHash`, or zero.
     */
    function fxSettlementIdOf(bytes32 settlementHash) external view returns (uint32);

    /**
     * @dev Returns financing `financingId`; all fields are zero when there is none.
     */
    function financingOf(uint32 financingId) external view returns (Financing memory);

    /**
     * @dev Returns warehouse receipt `receiptId`; all fields are zero when there is none.
     */
    function warehouseReceiptOf(bytes32 receiptId) external view returns (WarehouseReceipt memory);

    /**
     * @dev Returns the live typed financing of `subject` (a trade's {tradeSubject} or a receipt
     * id), or zero.
     */
    function liveFinancingOf(bytes32 subject) external view returns (uint32);

    /**
     * @dev Returns `bytes32(uint256(batch) << 32 | position)`: a trade as a financing subject.
     */
    function tradeSubject(uint64 batch, uint32 position) external pure returns (bytes32);

    /**
     * @dev Returns how many FX settlements and how many financings were recorded so far.
     */
    function counts() external view returns (uint32 fxSettlements, uint32 financings);
}
