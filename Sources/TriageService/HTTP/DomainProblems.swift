import Hummingbird
import TriageCore
import TriageStore

// Domain errors from the core and the store, each mapped to one problem type. Their messages are written
// by our code and never repeat submitted values, so they are safe to return.

extension ArrivalValidationError: ProblemConvertible {
    public var problem: Problem { Problem(.validation, message, field: field) }
}

extension DecisionError: ProblemConvertible {
    public var problem: Problem {
        switch self {
        case .notFound:
            Problem(.notFound, "the patient is not on the board")
        case .versionMismatch(let current):
            Problem(.versionMismatch, "the row has changed since it was read; reload it (current version \(current))",
                    headers: [.eTag: EntityTag.header(current)])
        case .invalid(let reason):
            Problem(.validation, reason)
        }
    }
}

extension QueueError: ProblemConvertible {
    public var problem: Problem {
        switch self {
        case .arrivalNotFound:
            Problem.notFound("the arrival")
        case .notOnBoard:
            Problem(.notFound, "the patient is not on the board")
        case .notFailed(_, let state):
            Problem(.conflict, "the arrival is \(state.rawValue), not failed")
        case .claimLost:
            Problem(.conflict, "another worker owns the arrival now")
        case .invalidInput(let message):
            Problem(.validation, message)
        case .conflictingResend:
            Problem(.conflict, "this source and external_id were received before with other content; "
                    + "send new observations as vitals, or a new external_id")
        }
    }
}
