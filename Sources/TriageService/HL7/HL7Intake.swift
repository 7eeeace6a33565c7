import Foundation
import HL7v2
import Logging
import TriageCore
import TriageStore

/// Applies one HL7 v2 message and says how to acknowledge it.
///
/// Each effect is idempotent under re-delivery, so an interface engine that re-sends a message it has no ACK
/// for (at-least-once) changes nothing the second time: an arrival is keyed by `(source, visit number)`, new
/// vitals by the message control id (the audit's request id), and a discharge of a patient no longer on the
/// board is already done. When the database cannot be reached there is no ACK at all: the connection closes and
/// the engine sends again later, as it would after a lost ACK.
struct HL7Intake: Sendable {
    let queue: any ArrivalQueue
    /// Registrations from all connections, committed together while they arrive together.
    let arrivals: ArrivalBatcher
    let worklist: any WorklistRepository
    let validator: ArrivalValidator
    let logger: Logger

    /// MSH-3 and MSH-4 of our acknowledgements.
    static let application = "EDTRIAGE"
    static let facility = "ED"

    /// The ACK to send, or nil to close the connection unacknowledged (a failure the sender should retry).
    func acknowledge(_ text: String, at date: Date = Date()) async -> String? {
        let message: ER7Message
        do {
            message = try ER7Message(parsing: text)
        } catch {
            return answer(nil, ER7Acknowledgement(.rejected, text: "\(error)"), at: date)
        }
        guard let controlID = message.controlID else {
            return answer(message, ER7Acknowledgement(.rejected, text: "MSH-10 (message control id) is missing"), at: date)
        }
        do {
            let outcome = try await apply(try HL7Translation.request(from: message, departments: validator.limits.departments),
                                          controlID: controlID)
            return answer(message, outcome, at: date)
        } catch let error as HL7MappingError {
            return answer(message, ER7Acknowledgement(.error, text: error.reason, location: error.location), at: date)
        } catch let error as ArrivalValidationError {
            return answer(message, ER7Acknowledgement(.error, text: "\(error.field): \(error.message)"), at: date)
        } catch let error as QueueError {
            return answer(message, ER7Acknowledgement(.error, text: error.description), at: date)
        } catch {
            logger.error("HL7 message not applied; no acknowledgement, the sender will retry",
                         metadata: ["error.type": "\(type(of: error))"])
            return nil
        }
    }

    private func apply(_ request: HL7Request, controlID: String) async throws -> ER7Acknowledgement {
        switch request {
        case .ignored(let why):
            return ER7Acknowledgement(.accepted, text: "not applied: \(why)")
        case .arrival(var submission):
            let flags = try validator.validate(&submission)
            let result = try await arrivals.enqueue(
                ArrivalEnqueue(submission: submission, flags: flags, context: context(submission.source, controlID)))
            return ER7Acknowledgement(.accepted, text: result.isDuplicate ? "already received" : nil)
        case .vitals(let visit, let vitals):
            guard let arrival = try await queue.arrival(source: visit.source, externalID: visit.externalID) else {
                throw QueueError.invalidInput("no arrival was registered for this visit (PV1-19)")
            }
            var presentation = arrival.presentation
            presentation.vitals = presentation.vitals.updated(with: vitals)
            _ = try validator.validate(presentation)
            try await queue.recordVitals(arrivalID: arrival.id, vitals: presentation.vitals,
                                         context: context(visit.source, controlID))
            return ER7Acknowledgement(.accepted)
        case .discharge(let visit):
            return try await discharge(visit, controlID: controlID)
        }
    }

    /// Reads of the board row a discharge makes before it gives up on a row that keeps changing.
    static let dischargeAttempts = 5

    /// A discharge from the ADT feed does not depend on the level the board shows, unlike a clinician's
    /// decision: a row that changed between the read and the write (an assessment landing) is read again, and
    /// a row discharged meanwhile is already done.
    private func discharge(_ visit: VisitKey, controlID: String) async throws -> ER7Acknowledgement {
        let notOnBoard = ER7Acknowledgement(.accepted, text: "not on the board")
        guard let arrival = try await queue.arrival(source: visit.source, externalID: visit.externalID) else {
            return notOnBoard
        }
        var attempt = 1
        while true {
            guard let row = try await worklist.row(arrivalID: arrival.id) else { return notOnBoard }
            do {
                _ = try await worklist.decide(.discharge(reason: "ADT^A03"), arrivalID: arrival.id,
                                              expectedVersion: row.version, context: context(visit.source, controlID))
                return ER7Acknowledgement(.accepted)
            } catch DecisionError.versionMismatch where attempt < Self.dischargeAttempts {
                attempt += 1
            } catch DecisionError.notFound {
                return notOnBoard
            }
        }
    }

    /// The sender as actor, with the message control id as the request id that makes a re-send recognisable.
    private func context(_ source: String, _ controlID: String) -> AuditContext {
        AuditContext(actor: source, role: "intake", requestID: "hl7:\(controlID)")
    }

    private func answer(_ message: ER7Message?, _ acknowledgement: ER7Acknowledgement, at date: Date) -> String {
        acknowledgement.encoded(answering: message, application: Self.application, facility: Self.facility,
                                controlID: "ACK-" + UUID().uuidString.prefix(18), at: date)
    }
}
