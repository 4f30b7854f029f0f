# Generated from botocore deadline 2023-10-12 by tools/gen_shapes.py. DO NOT EDIT.
"""The `deadline` model's shapes as types: a TypedDict per structure, a StrEnum per enum.

Owns nothing at run time: handlers name these in their signatures
(`def get_job(ctx: Context, params: GetJobRequest) -> GetJobResponse`) so that mypy holds the dicts
they take and return to the model. A member the model lists as required is Required (except
idempotency tokens, which SDKs fill in and validation never demands); every other member is
NotRequired. Timestamps are `datetime` (parsing turns them into datetimes before a handler runs),
documents `Any`, and a union (exactly one member set) is a union of one-key TypedDicts named
`<Union>_<member>`.

Enum-typed members are `Annotated[str, <Enum>]`: to mypy a plain `str`, with the enum named beside
it. Both sides of a handler are honest that way: parsed input is the plain string the client sent
(validation made sure it is one of the enum's values; nothing converts it), and an answer may hold a
member of the same StrEnum (a `str`) or a string read from the store. Typing those members as the
StrEnum would claim a conversion that never happens, and as a Literal would refuse StrEnum members.

The StrEnums here are the model's vocabulary: domain/statuses.py re-exports the ones its rules speak
(this module imports only the standard library, so the domain stays pure) rather than spelling them
again.
"""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, NotRequired, TypeAlias, TypedDict

# --- enums ----------------------------------------------------------------------------------------------------


class AcceleratorName(StrEnum):
    t4 = "t4"
    a10g = "a10g"
    l4 = "l4"
    l40s = "l40s"
    rtx_pro_server_6000 = "rtx-pro-server-6000"
    rtx_pro_4500 = "rtx-pro-4500"


class AcceleratorType(StrEnum):
    gpu = "gpu"


class AutoScalingMode(StrEnum):
    NO_SCALING = "NO_SCALING"
    EVENT_BASED_AUTO_SCALING = "EVENT_BASED_AUTO_SCALING"


class AutoScalingStatus(StrEnum):
    GROWING = "GROWING"
    STEADY = "STEADY"
    SHRINKING = "SHRINKING"


class BatchGetJobErrorCode(StrEnum):
    InternalServerErrorException = "InternalServerErrorException"
    ResourceNotFoundException = "ResourceNotFoundException"
    ValidationException = "ValidationException"
    AccessDeniedException = "AccessDeniedException"
    ThrottlingException = "ThrottlingException"


class BatchGetSessionActionErrorCode(StrEnum):
    InternalServerErrorException = "InternalServerErrorException"
    ResourceNotFoundException = "ResourceNotFoundException"
    ValidationException = "ValidationException"


class BatchGetSessionErrorCode(StrEnum):
    InternalServerErrorException = "InternalServerErrorException"
    ResourceNotFoundException = "ResourceNotFoundException"
    ValidationException = "ValidationException"


class BatchGetStepErrorCode(StrEnum):
    InternalServerErrorException = "InternalServerErrorException"
    ResourceNotFoundException = "ResourceNotFoundException"
    ValidationException = "ValidationException"
    AccessDeniedException = "AccessDeniedException"
    ThrottlingException = "ThrottlingException"


class BatchGetTaskErrorCode(StrEnum):
    InternalServerErrorException = "InternalServerErrorException"
    ResourceNotFoundException = "ResourceNotFoundException"
    ValidationException = "ValidationException"
    AccessDeniedException = "AccessDeniedException"
    ThrottlingException = "ThrottlingException"


class BatchGetWorkerErrorCode(StrEnum):
    InternalServerErrorException = "InternalServerErrorException"
    ResourceNotFoundException = "ResourceNotFoundException"
    ValidationException = "ValidationException"


class BatchUpdateJobErrorCode(StrEnum):
    ConflictException = "ConflictException"
    InternalServerErrorException = "InternalServerErrorException"
    ResourceNotFoundException = "ResourceNotFoundException"
    ValidationException = "ValidationException"
    AccessDeniedException = "AccessDeniedException"
    ThrottlingException = "ThrottlingException"


class BatchUpdateTaskErrorCode(StrEnum):
    ConflictException = "ConflictException"
    InternalServerErrorException = "InternalServerErrorException"
    ResourceNotFoundException = "ResourceNotFoundException"
    ValidationException = "ValidationException"
    AccessDeniedException = "AccessDeniedException"
    ThrottlingException = "ThrottlingException"


class BudgetActionType(StrEnum):
    STOP_SCHEDULING_AND_COMPLETE_TASKS = "STOP_SCHEDULING_AND_COMPLETE_TASKS"
    STOP_SCHEDULING_AND_CANCEL_TASKS = "STOP_SCHEDULING_AND_CANCEL_TASKS"


class BudgetStatus(StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


class ComparisonOperator(StrEnum):
    EQUAL = "EQUAL"
    NOT_EQUAL = "NOT_EQUAL"
    GREATER_THAN_EQUAL_TO = "GREATER_THAN_EQUAL_TO"
    GREATER_THAN = "GREATER_THAN"
    LESS_THAN_EQUAL_TO = "LESS_THAN_EQUAL_TO"
    LESS_THAN = "LESS_THAN"
    ANY_EQUALS = "ANY_EQUALS"
    ALL_NOT_EQUALS = "ALL_NOT_EQUALS"


class CompletedStatus(StrEnum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    INTERRUPTED = "INTERRUPTED"
    CANCELED = "CANCELED"
    NEVER_ATTEMPTED = "NEVER_ATTEMPTED"


class ConflictExceptionReason(StrEnum):
    CONFLICT_EXCEPTION = "CONFLICT_EXCEPTION"
    CONCURRENT_MODIFICATION = "CONCURRENT_MODIFICATION"
    RESOURCE_ALREADY_EXISTS = "RESOURCE_ALREADY_EXISTS"
    RESOURCE_IN_USE = "RESOURCE_IN_USE"
    STATUS_CONFLICT = "STATUS_CONFLICT"


class CpuArchitectureType(StrEnum):
    x86_64 = "x86_64"
    arm64 = "arm64"


class CreateJobTargetTaskRunStatus(StrEnum):
    READY = "READY"
    SUSPENDED = "SUSPENDED"


class CustomerManagedFleetOperatingSystemFamily(StrEnum):
    WINDOWS = "WINDOWS"
    LINUX = "LINUX"
    MACOS = "MACOS"


class DefaultQueueBudgetAction(StrEnum):
    NONE = "NONE"
    STOP_SCHEDULING_AND_COMPLETE_TASKS = "STOP_SCHEDULING_AND_COMPLETE_TASKS"
    STOP_SCHEDULING_AND_CANCEL_TASKS = "STOP_SCHEDULING_AND_CANCEL_TASKS"


class DependencyConsumerResolutionStatus(StrEnum):
    RESOLVED = "RESOLVED"
    UNRESOLVED = "UNRESOLVED"


class DesiredWorkerStatus(StrEnum):
    STOPPED = "STOPPED"


class EbsVolumeType(StrEnum):
    gp3 = "gp3"


class Ec2MarketType(StrEnum):
    on_demand = "on-demand"
    spot = "spot"
    wait_and_save = "wait-and-save"


class EnvironmentTemplateType(StrEnum):
    JSON = "JSON"
    YAML = "YAML"


class FileSystemLocationType(StrEnum):
    SHARED = "SHARED"
    LOCAL = "LOCAL"


class FleetSoftwareAddOnName(StrEnum):
    docker = "docker"


class FleetStatus(StrEnum):
    ACTIVE = "ACTIVE"
    CREATE_IN_PROGRESS = "CREATE_IN_PROGRESS"
    UPDATE_IN_PROGRESS = "UPDATE_IN_PROGRESS"
    CREATE_FAILED = "CREATE_FAILED"
    UPDATE_FAILED = "UPDATE_FAILED"
    SUSPENDED = "SUSPENDED"


class JobAttachmentsFileSystem(StrEnum):
    COPIED = "COPIED"
    VIRTUAL = "VIRTUAL"


class JobEntityErrorCode(StrEnum):
    AccessDeniedException = "AccessDeniedException"
    InternalServerException = "InternalServerException"
    ValidationException = "ValidationException"
    ResourceNotFoundException = "ResourceNotFoundException"
    MaxPayloadSizeExceeded = "MaxPayloadSizeExceeded"
    ConflictException = "ConflictException"


class JobLifecycleStatus(StrEnum):
    CREATE_IN_PROGRESS = "CREATE_IN_PROGRESS"
    CREATE_FAILED = "CREATE_FAILED"
    CREATE_COMPLETE = "CREATE_COMPLETE"
    UPLOAD_IN_PROGRESS = "UPLOAD_IN_PROGRESS"
    UPLOAD_FAILED = "UPLOAD_FAILED"
    UPDATE_IN_PROGRESS = "UPDATE_IN_PROGRESS"
    UPDATE_FAILED = "UPDATE_FAILED"
    UPDATE_SUCCEEDED = "UPDATE_SUCCEEDED"
    ARCHIVED = "ARCHIVED"


class JobTargetTaskRunStatus(StrEnum):
    READY = "READY"
    FAILED = "FAILED"
    SUCCEEDED = "SUCCEEDED"
    CANCELED = "CANCELED"
    SUSPENDED = "SUSPENDED"
    PENDING = "PENDING"


class JobTemplateType(StrEnum):
    JSON = "JSON"
    YAML = "YAML"


class LicenseEndpointStatus(StrEnum):
    CREATE_IN_PROGRESS = "CREATE_IN_PROGRESS"
    DELETE_IN_PROGRESS = "DELETE_IN_PROGRESS"
    READY = "READY"
    NOT_READY = "NOT_READY"


class LogicalOperator(StrEnum):
    AND = "AND"
    OR = "OR"


class MembershipLevel(StrEnum):
    VIEWER = "VIEWER"
    CONTRIBUTOR = "CONTRIBUTOR"
    OWNER = "OWNER"
    MANAGER = "MANAGER"


class MembershipResourceType(StrEnum):
    FARM = "FARM"
    QUEUE = "QUEUE"
    FLEET = "FLEET"
    JOB = "JOB"


class PathFormat(StrEnum):
    windows = "windows"
    posix = "posix"


class Period(StrEnum):
    HOURLY = "HOURLY"
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"


class PrincipalType(StrEnum):
    USER = "USER"
    GROUP = "GROUP"


class QueueBlockedReason(StrEnum):
    NO_BUDGET_CONFIGURED = "NO_BUDGET_CONFIGURED"
    BUDGET_THRESHOLD_REACHED = "BUDGET_THRESHOLD_REACHED"


class QueueFleetAssociationStatus(StrEnum):
    ACTIVE = "ACTIVE"
    STOP_SCHEDULING_AND_COMPLETE_TASKS = "STOP_SCHEDULING_AND_COMPLETE_TASKS"
    STOP_SCHEDULING_AND_CANCEL_TASKS = "STOP_SCHEDULING_AND_CANCEL_TASKS"
    STOPPED = "STOPPED"


class QueueLimitAssociationStatus(StrEnum):
    ACTIVE = "ACTIVE"
    STOP_LIMIT_USAGE_AND_COMPLETE_TASKS = "STOP_LIMIT_USAGE_AND_COMPLETE_TASKS"
    STOP_LIMIT_USAGE_AND_CANCEL_TASKS = "STOP_LIMIT_USAGE_AND_CANCEL_TASKS"
    STOPPED = "STOPPED"


class QueueStatus(StrEnum):
    IDLE = "IDLE"
    SCHEDULING = "SCHEDULING"
    SCHEDULING_BLOCKED = "SCHEDULING_BLOCKED"


class RangeConstraint(StrEnum):
    CONTIGUOUS = "CONTIGUOUS"
    NONCONTIGUOUS = "NONCONTIGUOUS"


class RunAs(StrEnum):
    QUEUE_CONFIGURED_USER = "QUEUE_CONFIGURED_USER"
    WORKER_AGENT_USER = "WORKER_AGENT_USER"


class SearchTermMatchingType(StrEnum):
    FUZZY_MATCH = "FUZZY_MATCH"
    CONTAINS = "CONTAINS"


class ServiceManagedFleetOperatingSystemFamily(StrEnum):
    WINDOWS = "WINDOWS"
    LINUX = "LINUX"


class ServiceQuotaExceededExceptionReason(StrEnum):
    SERVICE_QUOTA_EXCEEDED_EXCEPTION = "SERVICE_QUOTA_EXCEEDED_EXCEPTION"
    KMS_KEY_LIMIT_EXCEEDED = "KMS_KEY_LIMIT_EXCEEDED"
    DEPENDENCY_LIMIT_EXCEEDED = "DEPENDENCY_LIMIT_EXCEEDED"


class SessionActionStatus(StrEnum):
    ASSIGNED = "ASSIGNED"
    RUNNING = "RUNNING"
    CANCELING = "CANCELING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    INTERRUPTED = "INTERRUPTED"
    CANCELED = "CANCELED"
    NEVER_ATTEMPTED = "NEVER_ATTEMPTED"
    SCHEDULED = "SCHEDULED"
    RECLAIMING = "RECLAIMING"
    RECLAIMED = "RECLAIMED"


class SessionLifecycleStatus(StrEnum):
    STARTED = "STARTED"
    UPDATE_IN_PROGRESS = "UPDATE_IN_PROGRESS"
    UPDATE_SUCCEEDED = "UPDATE_SUCCEEDED"
    UPDATE_FAILED = "UPDATE_FAILED"
    ENDED = "ENDED"


class SessionLifecycleTargetStatus(StrEnum):
    ENDED = "ENDED"


class SessionsStatisticsAggregationStatus(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    TIMEOUT = "TIMEOUT"
    FAILED = "FAILED"
    COMPLETED = "COMPLETED"


class SortOrder(StrEnum):
    ASCENDING = "ASCENDING"
    DESCENDING = "DESCENDING"


class StepLifecycleStatus(StrEnum):
    CREATE_COMPLETE = "CREATE_COMPLETE"
    UPDATE_IN_PROGRESS = "UPDATE_IN_PROGRESS"
    UPDATE_FAILED = "UPDATE_FAILED"
    UPDATE_SUCCEEDED = "UPDATE_SUCCEEDED"


class StepParameterType(StrEnum):
    INT = "INT"
    FLOAT = "FLOAT"
    STRING = "STRING"
    PATH = "PATH"
    CHUNK_INT = "CHUNK_INT"


class StepTargetTaskRunStatus(StrEnum):
    READY = "READY"
    FAILED = "FAILED"
    SUCCEEDED = "SUCCEEDED"
    CANCELED = "CANCELED"
    SUSPENDED = "SUSPENDED"
    PENDING = "PENDING"


class StorageProfileOperatingSystemFamily(StrEnum):
    WINDOWS = "WINDOWS"
    LINUX = "LINUX"
    MACOS = "MACOS"


class TagPropagationMode(StrEnum):
    NO_PROPAGATION = "NO_PROPAGATION"
    PROPAGATE_TAGS_TO_WORKERS_AT_LAUNCH = "PROPAGATE_TAGS_TO_WORKERS_AT_LAUNCH"


class TaskRunStatus(StrEnum):
    PENDING = "PENDING"
    READY = "READY"
    ASSIGNED = "ASSIGNED"
    STARTING = "STARTING"
    SCHEDULED = "SCHEDULED"
    INTERRUPTING = "INTERRUPTING"
    RUNNING = "RUNNING"
    SUSPENDED = "SUSPENDED"
    CANCELED = "CANCELED"
    FAILED = "FAILED"
    SUCCEEDED = "SUCCEEDED"
    NOT_COMPATIBLE = "NOT_COMPATIBLE"


class TaskTargetRunStatus(StrEnum):
    READY = "READY"
    FAILED = "FAILED"
    SUCCEEDED = "SUCCEEDED"
    CANCELED = "CANCELED"
    SUSPENDED = "SUSPENDED"
    PENDING = "PENDING"


class UpdateJobLifecycleStatus(StrEnum):
    ARCHIVED = "ARCHIVED"


class UpdateQueueFleetAssociationStatus(StrEnum):
    ACTIVE = "ACTIVE"
    STOP_SCHEDULING_AND_COMPLETE_TASKS = "STOP_SCHEDULING_AND_COMPLETE_TASKS"
    STOP_SCHEDULING_AND_CANCEL_TASKS = "STOP_SCHEDULING_AND_CANCEL_TASKS"


class UpdateQueueLimitAssociationStatus(StrEnum):
    ACTIVE = "ACTIVE"
    STOP_LIMIT_USAGE_AND_COMPLETE_TASKS = "STOP_LIMIT_USAGE_AND_COMPLETE_TASKS"
    STOP_LIMIT_USAGE_AND_CANCEL_TASKS = "STOP_LIMIT_USAGE_AND_CANCEL_TASKS"


class UpdatedWorkerStatus(StrEnum):
    STARTED = "STARTED"
    STOPPING = "STOPPING"
    STOPPED = "STOPPED"


class UsageGroupByField(StrEnum):
    QUEUE_ID = "QUEUE_ID"
    FLEET_ID = "FLEET_ID"
    JOB_ID = "JOB_ID"
    USER_ID = "USER_ID"
    USAGE_TYPE = "USAGE_TYPE"
    INSTANCE_TYPE = "INSTANCE_TYPE"
    LICENSE_PRODUCT = "LICENSE_PRODUCT"


class UsageStatistic(StrEnum):
    SUM = "SUM"
    MIN = "MIN"
    MAX = "MAX"
    AVG = "AVG"


class UsageType(StrEnum):
    COMPUTE = "COMPUTE"
    LICENSE = "LICENSE"
    PERSISTENT_VOLUME = "PERSISTENT_VOLUME"


class ValidationExceptionReason(StrEnum):
    UNKNOWN_OPERATION = "UNKNOWN_OPERATION"
    CANNOT_PARSE = "CANNOT_PARSE"
    FIELD_VALIDATION_FAILED = "FIELD_VALIDATION_FAILED"
    OTHER = "OTHER"


class VolumeState(StrEnum):
    PENDING_CREATION = "PENDING_CREATION"
    PENDING_ATTACHMENT = "PENDING_ATTACHMENT"
    IN_USE = "IN_USE"
    AVAILABLE = "AVAILABLE"
    PENDING_DELETION = "PENDING_DELETION"


class WorkerStatus(StrEnum):
    CREATED = "CREATED"
    STARTED = "STARTED"
    STOPPING = "STOPPING"
    STOPPED = "STOPPED"
    NOT_RESPONDING = "NOT_RESPONDING"
    NOT_COMPATIBLE = "NOT_COMPATIBLE"
    RUNNING = "RUNNING"
    IDLE = "IDLE"


# --- structures -----------------------------------------------------------------------------------------------


class AcceleratorCapabilities(TypedDict):
    selections: list["AcceleratorSelection"]
    count: NotRequired["AcceleratorCountRange"]


class AcceleratorCountRange(TypedDict):
    min: int
    max: NotRequired[int]


class AcceleratorSelection(TypedDict):
    name: Annotated[str, AcceleratorName]
    runtime: NotRequired[str]


class AcceleratorTotalMemoryMiBRange(TypedDict):
    min: int
    max: NotRequired[int]


class AccessDeniedException(TypedDict):
    message: str
    context: NotRequired[dict[str, str]]


class AcquiredLimit(TypedDict):
    limitId: str
    count: int


class AssignedEnvironmentEnterSessionActionDefinition(TypedDict):
    environmentId: str


class AssignedEnvironmentExitSessionActionDefinition(TypedDict):
    environmentId: str


class AssignedSession(TypedDict):
    queueId: str
    jobId: str
    sessionActions: list["AssignedSessionAction"]
    logConfiguration: "LogConfiguration"
    metadata: NotRequired[dict[str, str]]


class AssignedSessionAction(TypedDict):
    sessionActionId: str
    definition: "AssignedSessionActionDefinition"


class AssignedSessionActionDefinition_envEnter(TypedDict):
    envEnter: "AssignedEnvironmentEnterSessionActionDefinition"


class AssignedSessionActionDefinition_envExit(TypedDict):
    envExit: "AssignedEnvironmentExitSessionActionDefinition"


class AssignedSessionActionDefinition_taskRun(TypedDict):
    taskRun: "AssignedTaskRunSessionActionDefinition"


class AssignedSessionActionDefinition_syncInputJobAttachments(TypedDict):
    syncInputJobAttachments: "AssignedSyncInputJobAttachmentsSessionActionDefinition"


class AssignedSyncInputJobAttachmentsSessionActionDefinition(TypedDict):
    stepId: NotRequired[str]


class AssignedTaskRunSessionActionDefinition(TypedDict):
    taskId: NotRequired[str]
    stepId: str
    parameters: dict[str, "TaskParameterValue"]


class AssociateMemberToFarmRequest(TypedDict):
    farmId: str
    principalType: Annotated[str, PrincipalType]
    identityStoreId: str
    membershipLevel: Annotated[str, MembershipLevel]
    principalId: str
    identityCenterRegion: NotRequired[str]


class AssociateMemberToFarmResponse(TypedDict):
    pass


class AssociateMemberToFleetRequest(TypedDict):
    farmId: str
    fleetId: str
    principalType: Annotated[str, PrincipalType]
    identityStoreId: str
    membershipLevel: Annotated[str, MembershipLevel]
    principalId: str
    identityCenterRegion: NotRequired[str]


class AssociateMemberToFleetResponse(TypedDict):
    pass


class AssociateMemberToJobRequest(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    principalType: Annotated[str, PrincipalType]
    identityStoreId: str
    membershipLevel: Annotated[str, MembershipLevel]
    principalId: str
    identityCenterRegion: NotRequired[str]


class AssociateMemberToJobResponse(TypedDict):
    pass


class AssociateMemberToQueueRequest(TypedDict):
    farmId: str
    queueId: str
    principalType: Annotated[str, PrincipalType]
    identityStoreId: str
    membershipLevel: Annotated[str, MembershipLevel]
    principalId: str
    identityCenterRegion: NotRequired[str]


class AssociateMemberToQueueResponse(TypedDict):
    pass


class AssumeFleetRoleForReadRequest(TypedDict):
    farmId: str
    fleetId: str


class AssumeFleetRoleForReadResponse(TypedDict):
    credentials: "AwsCredentials"


class AssumeFleetRoleForWorkerRequest(TypedDict):
    farmId: str
    fleetId: str
    workerId: str


class AssumeFleetRoleForWorkerResponse(TypedDict):
    credentials: "AwsCredentials"


class AssumeQueueRoleForReadRequest(TypedDict):
    farmId: str
    queueId: str


class AssumeQueueRoleForReadResponse(TypedDict):
    credentials: "AwsCredentials"


class AssumeQueueRoleForUserRequest(TypedDict):
    farmId: str
    queueId: str


class AssumeQueueRoleForUserResponse(TypedDict):
    credentials: "AwsCredentials"


class AssumeQueueRoleForWorkerRequest(TypedDict):
    farmId: str
    fleetId: str
    workerId: str
    queueId: str


class AssumeQueueRoleForWorkerResponse(TypedDict):
    credentials: NotRequired["AwsCredentials"]


class Attachments(TypedDict):
    manifests: list["ManifestProperties"]
    fileSystem: NotRequired[Annotated[str, JobAttachmentsFileSystem]]


class AwsCredentials(TypedDict):
    accessKeyId: str
    secretAccessKey: str
    sessionToken: str
    expiration: datetime


class BatchGetJobEntityRequest(TypedDict):
    farmId: str
    fleetId: str
    workerId: str
    identifiers: list["JobEntityIdentifiersUnion"]


class BatchGetJobEntityResponse(TypedDict):
    entities: list["JobEntity"]
    errors: list["GetJobEntityError"]


class BatchGetJobError(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    code: Annotated[str, BatchGetJobErrorCode]
    message: str


class BatchGetJobIdentifier(TypedDict):
    farmId: str
    queueId: str
    jobId: str


class BatchGetJobItem(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    name: str
    lifecycleStatus: Annotated[str, JobLifecycleStatus]
    lifecycleStatusMessage: str
    priority: int
    createdAt: datetime
    createdBy: str
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]
    startedAt: NotRequired[datetime]
    endedAt: NotRequired[datetime]
    taskRunStatus: NotRequired[Annotated[str, TaskRunStatus]]
    targetTaskRunStatus: NotRequired[Annotated[str, JobTargetTaskRunStatus]]
    taskRunStatusCounts: NotRequired[dict[Annotated[str, TaskRunStatus], int]]
    taskFailureRetryCount: NotRequired[int]
    storageProfileId: NotRequired[str]
    maxFailedTasksCount: NotRequired[int]
    maxRetriesPerTask: NotRequired[int]
    parameters: NotRequired[dict[str, "JobParameter"]]
    attachments: NotRequired["Attachments"]
    description: NotRequired[str]
    maxWorkerCount: NotRequired[int]
    sourceJobId: NotRequired[str]


class BatchGetJobRequest(TypedDict):
    identifiers: list["BatchGetJobIdentifier"]


class BatchGetJobResponse(TypedDict):
    jobs: list["BatchGetJobItem"]
    errors: list["BatchGetJobError"]


class BatchGetSessionActionError(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    sessionActionId: str
    code: Annotated[str, BatchGetSessionActionErrorCode]
    message: str


class BatchGetSessionActionIdentifier(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    sessionActionId: str


class BatchGetSessionActionItem(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    sessionActionId: str
    status: Annotated[str, SessionActionStatus]
    startedAt: NotRequired[datetime]
    endedAt: NotRequired[datetime]
    workerUpdatedAt: NotRequired[datetime]
    progressPercent: NotRequired[float]
    manifests: NotRequired[list["TaskRunManifestPropertiesResponse"]]
    sessionId: str
    processExitCode: NotRequired[int]
    progressMessage: NotRequired[str]
    acquiredLimits: NotRequired[list["AcquiredLimit"]]
    definition: "SessionActionDefinition"


class BatchGetSessionActionRequest(TypedDict):
    identifiers: list["BatchGetSessionActionIdentifier"]


class BatchGetSessionActionResponse(TypedDict):
    sessionActions: list["BatchGetSessionActionItem"]
    errors: list["BatchGetSessionActionError"]


class BatchGetSessionError(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    sessionId: str
    code: Annotated[str, BatchGetSessionErrorCode]
    message: str


class BatchGetSessionIdentifier(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    sessionId: str


class BatchGetSessionItem(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    sessionId: str
    fleetId: str
    workerId: str
    startedAt: datetime
    lifecycleStatus: Annotated[str, SessionLifecycleStatus]
    endedAt: NotRequired[datetime]
    targetLifecycleStatus: NotRequired[Annotated[str, SessionLifecycleTargetStatus]]
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]
    log: "LogConfiguration"
    hostProperties: NotRequired["HostPropertiesResponse"]
    workerLog: NotRequired["LogConfiguration"]


class BatchGetSessionRequest(TypedDict):
    identifiers: list["BatchGetSessionIdentifier"]


class BatchGetSessionResponse(TypedDict):
    sessions: list["BatchGetSessionItem"]
    errors: list["BatchGetSessionError"]


class BatchGetStepError(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    stepId: str
    code: Annotated[str, BatchGetStepErrorCode]
    message: str


class BatchGetStepIdentifier(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    stepId: str


class BatchGetStepItem(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    stepId: str
    name: str
    lifecycleStatus: Annotated[str, StepLifecycleStatus]
    lifecycleStatusMessage: NotRequired[str]
    taskRunStatus: Annotated[str, TaskRunStatus]
    taskRunStatusCounts: dict[Annotated[str, TaskRunStatus], int]
    taskFailureRetryCount: NotRequired[int]
    targetTaskRunStatus: NotRequired[Annotated[str, StepTargetTaskRunStatus]]
    createdAt: datetime
    createdBy: str
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]
    startedAt: NotRequired[datetime]
    endedAt: NotRequired[datetime]
    dependencyCounts: NotRequired["DependencyCounts"]
    requiredCapabilities: NotRequired["StepRequiredCapabilities"]
    parameterSpace: NotRequired["ParameterSpace"]
    description: NotRequired[str]


class BatchGetStepRequest(TypedDict):
    identifiers: list["BatchGetStepIdentifier"]


class BatchGetStepResponse(TypedDict):
    steps: list["BatchGetStepItem"]
    errors: list["BatchGetStepError"]


class BatchGetTaskError(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    stepId: str
    taskId: str
    code: Annotated[str, BatchGetTaskErrorCode]
    message: str


class BatchGetTaskIdentifier(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    stepId: str
    taskId: str


class BatchGetTaskItem(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    stepId: str
    taskId: str
    createdAt: datetime
    createdBy: str
    runStatus: Annotated[str, TaskRunStatus]
    targetRunStatus: NotRequired[Annotated[str, TaskTargetRunStatus]]
    failureRetryCount: NotRequired[int]
    startedAt: NotRequired[datetime]
    endedAt: NotRequired[datetime]
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]
    latestSessionActionId: NotRequired[str]
    parameters: NotRequired[dict[str, "TaskParameterValue"]]


class BatchGetTaskRequest(TypedDict):
    identifiers: list["BatchGetTaskIdentifier"]


class BatchGetTaskResponse(TypedDict):
    tasks: list["BatchGetTaskItem"]
    errors: list["BatchGetTaskError"]


class BatchGetWorkerError(TypedDict):
    farmId: str
    fleetId: str
    workerId: str
    code: Annotated[str, BatchGetWorkerErrorCode]
    message: str


class BatchGetWorkerIdentifier(TypedDict):
    farmId: str
    fleetId: str
    workerId: str


class BatchGetWorkerItem(TypedDict):
    farmId: str
    fleetId: str
    workerId: str
    hostProperties: NotRequired["HostPropertiesResponse"]
    status: Annotated[str, WorkerStatus]
    log: NotRequired["LogConfiguration"]
    createdAt: datetime
    createdBy: str
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]


class BatchGetWorkerRequest(TypedDict):
    identifiers: list["BatchGetWorkerIdentifier"]


class BatchGetWorkerResponse(TypedDict):
    workers: list["BatchGetWorkerItem"]
    errors: list["BatchGetWorkerError"]


class BatchUpdateJobError(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    code: Annotated[str, BatchUpdateJobErrorCode]
    message: str


class BatchUpdateJobItem(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    targetTaskRunStatus: NotRequired[Annotated[str, JobTargetTaskRunStatus]]
    priority: NotRequired[int]
    maxFailedTasksCount: NotRequired[int]
    maxRetriesPerTask: NotRequired[int]
    lifecycleStatus: NotRequired[Annotated[str, UpdateJobLifecycleStatus]]
    maxWorkerCount: NotRequired[int]
    name: NotRequired[str]
    description: NotRequired[str]


class BatchUpdateJobRequest(TypedDict):
    clientToken: NotRequired[str]
    jobs: list["BatchUpdateJobItem"]


class BatchUpdateJobResponse(TypedDict):
    errors: list["BatchUpdateJobError"]


class BatchUpdateTaskError(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    stepId: str
    taskId: str
    code: Annotated[str, BatchUpdateTaskErrorCode]
    message: str


class BatchUpdateTaskItem(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    stepId: str
    taskId: str
    targetRunStatus: Annotated[str, TaskTargetRunStatus]


class BatchUpdateTaskRequest(TypedDict):
    clientToken: NotRequired[str]
    tasks: list["BatchUpdateTaskItem"]


class BatchUpdateTaskResponse(TypedDict):
    errors: list["BatchUpdateTaskError"]


class BudgetActionToAdd(TypedDict):
    type: Annotated[str, BudgetActionType]
    thresholdPercentage: float
    description: NotRequired[str]


class BudgetActionToRemove(TypedDict):
    type: Annotated[str, BudgetActionType]
    thresholdPercentage: float


class BudgetSchedule_fixed(TypedDict):
    fixed: "FixedBudgetSchedule"


class BudgetSummary(TypedDict):
    budgetId: str
    usageTrackingResource: "UsageTrackingResource"
    status: Annotated[str, BudgetStatus]
    displayName: str
    approximateDollarLimit: float
    usages: "ConsumedUsages"
    createdBy: str
    createdAt: datetime
    updatedBy: NotRequired[str]
    updatedAt: NotRequired[datetime]
    description: NotRequired[str]


class ConflictException(TypedDict):
    message: str
    reason: Annotated[str, ConflictExceptionReason]
    resourceId: str
    resourceType: str
    context: NotRequired[dict[str, str]]


class ConsumedUsages(TypedDict):
    approximateDollarUsage: float


class CopyJobTemplateRequest(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    targetS3Location: "S3Location"


class CopyJobTemplateResponse(TypedDict):
    templateType: Annotated[str, JobTemplateType]


class CreateBudgetRequest(TypedDict):
    farmId: str
    displayName: str
    description: NotRequired[str]
    clientToken: NotRequired[str]
    usageTrackingResource: "UsageTrackingResource"
    approximateDollarLimit: float
    actions: list["BudgetActionToAdd"]
    schedule: "BudgetSchedule"
    tags: NotRequired[dict[str, str]]


class CreateBudgetResponse(TypedDict):
    budgetId: str


class CreateFarmRequest(TypedDict):
    clientToken: NotRequired[str]
    displayName: str
    description: NotRequired[str]
    kmsKeyArn: NotRequired[str]
    costScaleFactor: NotRequired[float]
    tags: NotRequired[dict[str, str]]


class CreateFarmResponse(TypedDict):
    farmId: str


class CreateFleetRequest(TypedDict):
    farmId: str
    clientToken: NotRequired[str]
    displayName: str
    description: NotRequired[str]
    roleArn: str
    minWorkerCount: NotRequired[int]
    maxWorkerCount: int
    configuration: "FleetConfiguration"
    tags: NotRequired[dict[str, str]]
    hostConfiguration: NotRequired["HostConfiguration"]


class CreateFleetResponse(TypedDict):
    fleetId: str


class CreateJobRequest(TypedDict):
    farmId: str
    queueId: str
    clientToken: NotRequired[str]
    template: NotRequired[str]
    templateType: NotRequired[Annotated[str, JobTemplateType]]
    priority: int
    parameters: NotRequired[dict[str, "JobParameter"]]
    attachments: NotRequired["Attachments"]
    storageProfileId: NotRequired[str]
    targetTaskRunStatus: NotRequired[Annotated[str, CreateJobTargetTaskRunStatus]]
    maxFailedTasksCount: NotRequired[int]
    maxRetriesPerTask: NotRequired[int]
    maxWorkerCount: NotRequired[int]
    sourceJobId: NotRequired[str]
    nameOverride: NotRequired[str]
    descriptionOverride: NotRequired[str]
    tags: NotRequired[dict[str, str]]


class CreateJobResponse(TypedDict):
    jobId: str


class CreateLicenseEndpointRequest(TypedDict):
    clientToken: NotRequired[str]
    vpcId: str
    subnetIds: list[str]
    securityGroupIds: list[str]
    tags: NotRequired[dict[str, str]]


class CreateLicenseEndpointResponse(TypedDict):
    licenseEndpointId: str


class CreateLimitRequest(TypedDict):
    farmId: str
    clientToken: NotRequired[str]
    displayName: str
    amountRequirementName: str
    maxCount: int
    description: NotRequired[str]


class CreateLimitResponse(TypedDict):
    limitId: str


class CreateMonitorRequest(TypedDict):
    clientToken: NotRequired[str]
    displayName: str
    identityCenterInstanceArn: str
    identityCenterRegion: NotRequired[str]
    subdomain: str
    roleArn: str
    tags: NotRequired[dict[str, str]]


class CreateMonitorResponse(TypedDict):
    monitorId: str
    identityCenterApplicationArn: str


class CreateQueueEnvironmentRequest(TypedDict):
    farmId: str
    queueId: str
    clientToken: NotRequired[str]
    priority: int
    templateType: Annotated[str, EnvironmentTemplateType]
    template: str


class CreateQueueEnvironmentResponse(TypedDict):
    queueEnvironmentId: str


class CreateQueueFleetAssociationRequest(TypedDict):
    farmId: str
    queueId: str
    fleetId: str


class CreateQueueFleetAssociationResponse(TypedDict):
    pass


class CreateQueueLimitAssociationRequest(TypedDict):
    farmId: str
    queueId: str
    limitId: str


class CreateQueueLimitAssociationResponse(TypedDict):
    pass


class CreateQueueRequest(TypedDict):
    farmId: str
    clientToken: NotRequired[str]
    displayName: str
    description: NotRequired[str]
    defaultBudgetAction: NotRequired[Annotated[str, DefaultQueueBudgetAction]]
    jobAttachmentSettings: NotRequired["JobAttachmentSettings"]
    roleArn: NotRequired[str]
    jobRunAsUser: NotRequired["JobRunAsUser"]
    requiredFileSystemLocationNames: NotRequired[list[str]]
    allowedStorageProfileIds: NotRequired[list[str]]
    tags: NotRequired[dict[str, str]]
    schedulingConfiguration: NotRequired["SchedulingConfiguration"]


class CreateQueueResponse(TypedDict):
    queueId: str


class CreateStorageProfileRequest(TypedDict):
    farmId: str
    clientToken: NotRequired[str]
    displayName: str
    osFamily: Annotated[str, StorageProfileOperatingSystemFamily]
    fileSystemLocations: NotRequired[list["FileSystemLocation"]]


class CreateStorageProfileResponse(TypedDict):
    storageProfileId: str


class CreateWorkerRequest(TypedDict):
    farmId: str
    fleetId: str
    hostProperties: NotRequired["HostPropertiesRequest"]
    clientToken: NotRequired[str]
    tags: NotRequired[dict[str, str]]


class CreateWorkerResponse(TypedDict):
    workerId: str


class CustomerManagedAutoScalingConfiguration(TypedDict):
    standbyWorkerCount: NotRequired[int]
    workerIdleDurationSeconds: NotRequired[int]
    scaleOutWorkersPerMinute: NotRequired[int]


class CustomerManagedFleetConfiguration(TypedDict):
    mode: Annotated[str, AutoScalingMode]
    autoScalingConfiguration: NotRequired["CustomerManagedAutoScalingConfiguration"]
    workerCapabilities: "CustomerManagedWorkerCapabilities"
    storageProfileId: NotRequired[str]
    tagPropagationMode: NotRequired[Annotated[str, TagPropagationMode]]


class CustomerManagedWorkerCapabilities(TypedDict):
    vCpuCount: "VCpuCountRange"
    memoryMiB: "MemoryMiBRange"
    acceleratorTypes: NotRequired[list[Annotated[str, AcceleratorType]]]
    acceleratorCount: NotRequired["AcceleratorCountRange"]
    acceleratorTotalMemoryMiB: NotRequired["AcceleratorTotalMemoryMiBRange"]
    osFamily: Annotated[str, CustomerManagedFleetOperatingSystemFamily]
    cpuArchitectureType: Annotated[str, CpuArchitectureType]
    customAmounts: NotRequired[list["FleetAmountCapability"]]
    customAttributes: NotRequired[list["FleetAttributeCapability"]]


class DateTimeFilterExpression(TypedDict):
    name: str
    operator: Annotated[str, ComparisonOperator]
    dateTime: datetime


class DeleteBudgetRequest(TypedDict):
    farmId: str
    budgetId: str


class DeleteBudgetResponse(TypedDict):
    pass


class DeleteFarmRequest(TypedDict):
    farmId: str


class DeleteFarmResponse(TypedDict):
    pass


class DeleteFleetRequest(TypedDict):
    farmId: str
    fleetId: str
    clientToken: NotRequired[str]


class DeleteFleetResponse(TypedDict):
    pass


class DeleteLicenseEndpointRequest(TypedDict):
    licenseEndpointId: str


class DeleteLicenseEndpointResponse(TypedDict):
    pass


class DeleteLimitRequest(TypedDict):
    farmId: str
    limitId: str


class DeleteLimitResponse(TypedDict):
    pass


class DeleteMeteredProductRequest(TypedDict):
    licenseEndpointId: str
    productId: str


class DeleteMeteredProductResponse(TypedDict):
    pass


class DeleteMonitorRequest(TypedDict):
    monitorId: str


class DeleteMonitorResponse(TypedDict):
    pass


class DeleteQueueEnvironmentRequest(TypedDict):
    farmId: str
    queueId: str
    queueEnvironmentId: str


class DeleteQueueEnvironmentResponse(TypedDict):
    pass


class DeleteQueueFleetAssociationRequest(TypedDict):
    farmId: str
    queueId: str
    fleetId: str


class DeleteQueueFleetAssociationResponse(TypedDict):
    pass


class DeleteQueueLimitAssociationRequest(TypedDict):
    farmId: str
    queueId: str
    limitId: str


class DeleteQueueLimitAssociationResponse(TypedDict):
    pass


class DeleteQueueRequest(TypedDict):
    farmId: str
    queueId: str


class DeleteQueueResponse(TypedDict):
    pass


class DeleteStorageProfileRequest(TypedDict):
    farmId: str
    storageProfileId: str


class DeleteStorageProfileResponse(TypedDict):
    pass


class DeleteVolumeRequest(TypedDict):
    farmId: str
    fleetId: str
    volumeId: str


class DeleteVolumeResponse(TypedDict):
    pass


class DeleteWorkerRequest(TypedDict):
    farmId: str
    fleetId: str
    workerId: str


class DeleteWorkerResponse(TypedDict):
    pass


class DependencyCounts(TypedDict):
    dependenciesResolved: int
    dependenciesUnresolved: int
    consumersResolved: int
    consumersUnresolved: int


class DisassociateMemberFromFarmRequest(TypedDict):
    farmId: str
    principalId: str


class DisassociateMemberFromFarmResponse(TypedDict):
    pass


class DisassociateMemberFromFleetRequest(TypedDict):
    farmId: str
    fleetId: str
    principalId: str


class DisassociateMemberFromFleetResponse(TypedDict):
    pass


class DisassociateMemberFromJobRequest(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    principalId: str


class DisassociateMemberFromJobResponse(TypedDict):
    pass


class DisassociateMemberFromQueueRequest(TypedDict):
    farmId: str
    queueId: str
    principalId: str


class DisassociateMemberFromQueueResponse(TypedDict):
    pass


class Ec2EbsVolume(TypedDict):
    sizeGiB: NotRequired[int]
    iops: NotRequired[int]
    throughputMiB: NotRequired[int]


class EnvironmentDetailsEntity(TypedDict):
    jobId: str
    environmentId: str
    schemaVersion: str
    template: Any
    extensions: NotRequired[list[str]]
    resolvedSymbolTable: NotRequired[str]


class EnvironmentDetailsError(TypedDict):
    jobId: str
    environmentId: str
    code: Annotated[str, JobEntityErrorCode]
    message: str


class EnvironmentDetailsIdentifiers(TypedDict):
    jobId: str
    environmentId: str


class EnvironmentEnterSessionActionDefinition(TypedDict):
    environmentId: str


class EnvironmentEnterSessionActionDefinitionSummary(TypedDict):
    environmentId: str


class EnvironmentExitSessionActionDefinition(TypedDict):
    environmentId: str


class EnvironmentExitSessionActionDefinitionSummary(TypedDict):
    environmentId: str


class FarmMember(TypedDict):
    farmId: str
    principalId: str
    principalType: Annotated[str, PrincipalType]
    identityStoreId: str
    membershipLevel: Annotated[str, MembershipLevel]


class FarmSummary(TypedDict):
    farmId: str
    displayName: str
    kmsKeyArn: NotRequired[str]
    createdAt: datetime
    createdBy: str
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]


class FieldSortExpression(TypedDict):
    sortOrder: Annotated[str, SortOrder]
    name: str


class FileSystemLocation(TypedDict):
    name: str
    path: str
    type: Annotated[str, FileSystemLocationType]


class FixedBudgetSchedule(TypedDict):
    startTime: datetime
    endTime: datetime


class FleetAmountCapability(TypedDict):
    name: str
    min: float
    max: NotRequired[float]


class FleetAttributeCapability(TypedDict):
    name: str
    values: list[str]


class FleetCapabilities(TypedDict):
    amounts: NotRequired[list["FleetAmountCapability"]]
    attributes: NotRequired[list["FleetAttributeCapability"]]


class FleetConfiguration_customerManaged(TypedDict):
    customerManaged: "CustomerManagedFleetConfiguration"


class FleetConfiguration_serviceManagedEc2(TypedDict):
    serviceManagedEc2: "ServiceManagedEc2FleetConfiguration"


class FleetMember(TypedDict):
    farmId: str
    fleetId: str
    principalId: str
    principalType: Annotated[str, PrincipalType]
    identityStoreId: str
    membershipLevel: Annotated[str, MembershipLevel]


class FleetSoftwareAddOn(TypedDict):
    name: Annotated[str, FleetSoftwareAddOnName]


class FleetSummary(TypedDict):
    fleetId: str
    farmId: str
    displayName: str
    status: Annotated[str, FleetStatus]
    statusMessage: NotRequired[str]
    autoScalingStatus: NotRequired[Annotated[str, AutoScalingStatus]]
    targetWorkerCount: NotRequired[int]
    workerCount: int
    minWorkerCount: int
    maxWorkerCount: int
    configuration: "FleetConfiguration"
    createdAt: datetime
    createdBy: str
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]


class GetBudgetRequest(TypedDict):
    farmId: str
    budgetId: str


class GetBudgetResponse(TypedDict):
    budgetId: str
    usageTrackingResource: "UsageTrackingResource"
    status: Annotated[str, BudgetStatus]
    displayName: str
    approximateDollarLimit: float
    usages: "ConsumedUsages"
    createdBy: str
    createdAt: datetime
    updatedBy: NotRequired[str]
    updatedAt: NotRequired[datetime]
    description: NotRequired[str]
    actions: list["ResponseBudgetAction"]
    schedule: "BudgetSchedule"
    queueStoppedAt: NotRequired[datetime]


class GetFarmRequest(TypedDict):
    farmId: str


class GetFarmResponse(TypedDict):
    farmId: str
    displayName: str
    kmsKeyArn: NotRequired[str]
    createdAt: datetime
    createdBy: str
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]
    description: NotRequired[str]
    costScaleFactor: float


class GetFleetRequest(TypedDict):
    farmId: str
    fleetId: str


class GetFleetResponse(TypedDict):
    fleetId: str
    farmId: str
    displayName: str
    status: Annotated[str, FleetStatus]
    statusMessage: NotRequired[str]
    autoScalingStatus: NotRequired[Annotated[str, AutoScalingStatus]]
    targetWorkerCount: NotRequired[int]
    workerCount: int
    minWorkerCount: int
    maxWorkerCount: int
    configuration: "FleetConfiguration"
    createdAt: datetime
    createdBy: str
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]
    description: NotRequired[str]
    hostConfiguration: NotRequired["HostConfiguration"]
    capabilities: NotRequired["FleetCapabilities"]
    roleArn: str


class GetJobEntityError_jobDetails(TypedDict):
    jobDetails: "JobDetailsError"


class GetJobEntityError_jobAttachmentDetails(TypedDict):
    jobAttachmentDetails: "JobAttachmentDetailsError"


class GetJobEntityError_stepDetails(TypedDict):
    stepDetails: "StepDetailsError"


class GetJobEntityError_environmentDetails(TypedDict):
    environmentDetails: "EnvironmentDetailsError"


class GetJobRequest(TypedDict):
    farmId: str
    queueId: str
    jobId: str


class GetJobResponse(TypedDict):
    jobId: str
    name: str
    lifecycleStatus: Annotated[str, JobLifecycleStatus]
    lifecycleStatusMessage: str
    priority: int
    createdAt: datetime
    createdBy: str
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]
    startedAt: NotRequired[datetime]
    endedAt: NotRequired[datetime]
    taskRunStatus: NotRequired[Annotated[str, TaskRunStatus]]
    targetTaskRunStatus: NotRequired[Annotated[str, JobTargetTaskRunStatus]]
    taskRunStatusCounts: NotRequired[dict[Annotated[str, TaskRunStatus], int]]
    taskFailureRetryCount: NotRequired[int]
    storageProfileId: NotRequired[str]
    maxFailedTasksCount: NotRequired[int]
    maxRetriesPerTask: NotRequired[int]
    parameters: NotRequired[dict[str, "JobParameter"]]
    attachments: NotRequired["Attachments"]
    description: NotRequired[str]
    maxWorkerCount: NotRequired[int]
    sourceJobId: NotRequired[str]


class GetLicenseEndpointRequest(TypedDict):
    licenseEndpointId: str


class GetLicenseEndpointResponse(TypedDict):
    licenseEndpointId: str
    status: Annotated[str, LicenseEndpointStatus]
    statusMessage: str
    vpcId: NotRequired[str]
    dnsName: NotRequired[str]
    subnetIds: NotRequired[list[str]]
    securityGroupIds: NotRequired[list[str]]


class GetLimitRequest(TypedDict):
    farmId: str
    limitId: str


class GetLimitResponse(TypedDict):
    farmId: str
    limitId: str
    currentCount: int
    createdAt: datetime
    createdBy: str
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]
    displayName: str
    amountRequirementName: str
    maxCount: int
    description: NotRequired[str]


class GetMonitorRequest(TypedDict):
    monitorId: str


class GetMonitorResponse(TypedDict):
    monitorId: str
    displayName: str
    subdomain: str
    url: str
    roleArn: str
    identityCenterInstanceArn: str
    identityCenterRegion: NotRequired[str]
    identityCenterApplicationArn: str
    createdAt: datetime
    createdBy: str
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]


class GetMonitorSettingsRequest(TypedDict):
    monitorId: str


class GetMonitorSettingsResponse(TypedDict):
    settings: dict[str, str]


class GetQueueEnvironmentRequest(TypedDict):
    farmId: str
    queueId: str
    queueEnvironmentId: str


class GetQueueEnvironmentResponse(TypedDict):
    queueEnvironmentId: str
    name: str
    priority: int
    templateType: Annotated[str, EnvironmentTemplateType]
    template: str
    createdAt: datetime
    createdBy: str
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]


class GetQueueFleetAssociationRequest(TypedDict):
    farmId: str
    queueId: str
    fleetId: str


class GetQueueFleetAssociationResponse(TypedDict):
    queueId: str
    fleetId: str
    status: Annotated[str, QueueFleetAssociationStatus]
    createdAt: datetime
    createdBy: str
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]


class GetQueueLimitAssociationRequest(TypedDict):
    farmId: str
    queueId: str
    limitId: str


class GetQueueLimitAssociationResponse(TypedDict):
    queueId: str
    limitId: str
    status: Annotated[str, QueueLimitAssociationStatus]
    createdAt: datetime
    createdBy: str
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]


class GetQueueRequest(TypedDict):
    farmId: str
    queueId: str


class GetQueueResponse(TypedDict):
    farmId: str
    queueId: str
    displayName: str
    status: Annotated[str, QueueStatus]
    defaultBudgetAction: Annotated[str, DefaultQueueBudgetAction]
    blockedReason: NotRequired[Annotated[str, QueueBlockedReason]]
    createdAt: datetime
    createdBy: str
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]
    description: NotRequired[str]
    jobAttachmentSettings: NotRequired["JobAttachmentSettings"]
    roleArn: NotRequired[str]
    requiredFileSystemLocationNames: NotRequired[list[str]]
    allowedStorageProfileIds: NotRequired[list[str]]
    jobRunAsUser: NotRequired["JobRunAsUser"]
    schedulingConfiguration: NotRequired["SchedulingConfiguration"]


class GetSessionActionRequest(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    sessionActionId: str


class GetSessionActionResponse(TypedDict):
    sessionActionId: str
    status: Annotated[str, SessionActionStatus]
    startedAt: NotRequired[datetime]
    endedAt: NotRequired[datetime]
    workerUpdatedAt: NotRequired[datetime]
    progressPercent: NotRequired[float]
    manifests: NotRequired[list["TaskRunManifestPropertiesResponse"]]
    sessionId: str
    processExitCode: NotRequired[int]
    progressMessage: NotRequired[str]
    acquiredLimits: NotRequired[list["AcquiredLimit"]]
    definition: "SessionActionDefinition"


class GetSessionRequest(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    sessionId: str


class GetSessionResponse(TypedDict):
    sessionId: str
    fleetId: str
    workerId: str
    startedAt: datetime
    lifecycleStatus: Annotated[str, SessionLifecycleStatus]
    endedAt: NotRequired[datetime]
    targetLifecycleStatus: NotRequired[Annotated[str, SessionLifecycleTargetStatus]]
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]
    log: "LogConfiguration"
    hostProperties: NotRequired["HostPropertiesResponse"]
    workerLog: NotRequired["LogConfiguration"]


class GetSessionsStatisticsAggregationRequest(TypedDict):
    farmId: str
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]
    aggregationId: str


class GetSessionsStatisticsAggregationResponse(TypedDict):
    statistics: NotRequired[list["Statistics"]]
    status: Annotated[str, SessionsStatisticsAggregationStatus]
    statusMessage: NotRequired[str]
    nextToken: NotRequired[str]


class GetStepRequest(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    stepId: str


class GetStepResponse(TypedDict):
    stepId: str
    name: str
    lifecycleStatus: Annotated[str, StepLifecycleStatus]
    lifecycleStatusMessage: NotRequired[str]
    taskRunStatus: Annotated[str, TaskRunStatus]
    taskRunStatusCounts: dict[Annotated[str, TaskRunStatus], int]
    taskFailureRetryCount: NotRequired[int]
    targetTaskRunStatus: NotRequired[Annotated[str, StepTargetTaskRunStatus]]
    createdAt: datetime
    createdBy: str
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]
    startedAt: NotRequired[datetime]
    endedAt: NotRequired[datetime]
    dependencyCounts: NotRequired["DependencyCounts"]
    requiredCapabilities: NotRequired["StepRequiredCapabilities"]
    parameterSpace: NotRequired["ParameterSpace"]
    description: NotRequired[str]


class GetStorageProfileForQueueRequest(TypedDict):
    farmId: str
    queueId: str
    storageProfileId: str


class GetStorageProfileForQueueResponse(TypedDict):
    storageProfileId: str
    displayName: str
    osFamily: Annotated[str, StorageProfileOperatingSystemFamily]
    fileSystemLocations: NotRequired[list["FileSystemLocation"]]


class GetStorageProfileRequest(TypedDict):
    farmId: str
    storageProfileId: str


class GetStorageProfileResponse(TypedDict):
    storageProfileId: str
    displayName: str
    osFamily: Annotated[str, StorageProfileOperatingSystemFamily]
    createdAt: datetime
    createdBy: str
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]
    fileSystemLocations: NotRequired[list["FileSystemLocation"]]


class GetTaskRequest(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    stepId: str
    taskId: str


class GetTaskResponse(TypedDict):
    taskId: str
    createdAt: datetime
    createdBy: str
    runStatus: Annotated[str, TaskRunStatus]
    targetRunStatus: NotRequired[Annotated[str, TaskTargetRunStatus]]
    failureRetryCount: NotRequired[int]
    startedAt: NotRequired[datetime]
    endedAt: NotRequired[datetime]
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]
    latestSessionActionId: NotRequired[str]
    parameters: NotRequired[dict[str, "TaskParameterValue"]]


class GetVolumeRequest(TypedDict):
    farmId: str
    fleetId: str
    volumeId: str


class GetVolumeResponse(TypedDict):
    volumeId: str
    farmId: str
    fleetId: str
    state: Annotated[str, VolumeState]
    sizeGiB: int
    availabilityZoneId: str
    attachedWorkerId: NotRequired[str]
    volumeType: Annotated[str, EbsVolumeType]
    iops: NotRequired[int]
    throughputMiB: NotRequired[int]
    createdAt: datetime
    lastAssignedAt: NotRequired[datetime]
    lastReleasedAt: NotRequired[datetime]
    expiresAt: NotRequired[datetime]


class GetWorkerRequest(TypedDict):
    farmId: str
    fleetId: str
    workerId: str


class GetWorkerResponse(TypedDict):
    farmId: str
    fleetId: str
    workerId: str
    hostProperties: NotRequired["HostPropertiesResponse"]
    status: Annotated[str, WorkerStatus]
    log: NotRequired["LogConfiguration"]
    createdAt: datetime
    createdBy: str
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]


class HostConfiguration(TypedDict):
    scriptBody: str
    scriptTimeoutSeconds: NotRequired[int]


class HostPropertiesRequest(TypedDict):
    ipAddresses: NotRequired["IpAddresses"]
    hostName: NotRequired[str]


class HostPropertiesResponse(TypedDict):
    ipAddresses: NotRequired["IpAddresses"]
    hostName: NotRequired[str]
    ec2InstanceArn: NotRequired[str]
    ec2InstanceType: NotRequired[str]


class InternalServerErrorException(TypedDict):
    message: str
    retryAfterSeconds: NotRequired[int]


class IpAddresses(TypedDict):
    ipV4Addresses: NotRequired[list[str]]
    ipV6Addresses: NotRequired[list[str]]


class JobAttachmentDetailsEntity(TypedDict):
    jobId: str
    attachments: "Attachments"


class JobAttachmentDetailsError(TypedDict):
    jobId: str
    code: Annotated[str, JobEntityErrorCode]
    message: str


class JobAttachmentDetailsIdentifiers(TypedDict):
    jobId: str


class JobAttachmentSettings(TypedDict):
    s3BucketName: str
    rootPrefix: str


class JobDetailsEntity(TypedDict):
    jobId: str
    jobAttachmentSettings: NotRequired["JobDetailsJobAttachmentSettings"]
    jobRunAsUser: NotRequired["JobRunAsUser"]
    logGroupName: str
    queueRoleArn: NotRequired[str]
    parameters: NotRequired[dict[str, "JobParameter"]]
    schemaVersion: str
    extensions: NotRequired[list[str]]
    pathMappingRules: NotRequired[list["PathMappingRule"]]


class JobDetailsError(TypedDict):
    jobId: str
    code: Annotated[str, JobEntityErrorCode]
    message: str


class JobDetailsIdentifiers(TypedDict):
    jobId: str


class JobDetailsJobAttachmentSettings(TypedDict):
    s3BucketName: str
    rootPrefix: str


class JobEntity_jobDetails(TypedDict):
    jobDetails: "JobDetailsEntity"


class JobEntity_jobAttachmentDetails(TypedDict):
    jobAttachmentDetails: "JobAttachmentDetailsEntity"


class JobEntity_stepDetails(TypedDict):
    stepDetails: "StepDetailsEntity"


class JobEntity_environmentDetails(TypedDict):
    environmentDetails: "EnvironmentDetailsEntity"


class JobEntityIdentifiersUnion_jobDetails(TypedDict):
    jobDetails: "JobDetailsIdentifiers"


class JobEntityIdentifiersUnion_jobAttachmentDetails(TypedDict):
    jobAttachmentDetails: "JobAttachmentDetailsIdentifiers"


class JobEntityIdentifiersUnion_stepDetails(TypedDict):
    stepDetails: "StepDetailsIdentifiers"


class JobEntityIdentifiersUnion_environmentDetails(TypedDict):
    environmentDetails: "EnvironmentDetailsIdentifiers"


class JobMember(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    principalId: str
    principalType: Annotated[str, PrincipalType]
    identityStoreId: str
    membershipLevel: Annotated[str, MembershipLevel]


class JobParameter_int(TypedDict):
    int: str


class JobParameter_float(TypedDict):
    float: str


class JobParameter_string(TypedDict):
    string: str


class JobParameter_path(TypedDict):
    path: str


class JobParameter_bool(TypedDict):
    bool: str


class JobParameter_rangeExpr(TypedDict):
    rangeExpr: str


class JobParameter_stringList(TypedDict):
    stringList: list[str]


class JobParameter_pathList(TypedDict):
    pathList: list[str]


class JobParameter_intList(TypedDict):
    intList: list[str]


class JobParameter_floatList(TypedDict):
    floatList: list[str]


class JobParameter_boolList(TypedDict):
    boolList: list[str]


class JobParameter_intListList(TypedDict):
    intListList: list[list[str]]


class JobRunAsUser(TypedDict):
    posix: NotRequired["PosixUser"]
    windows: NotRequired["WindowsUser"]
    runAs: Annotated[str, RunAs]


class JobSearchSummary(TypedDict):
    jobId: NotRequired[str]
    queueId: NotRequired[str]
    name: NotRequired[str]
    lifecycleStatus: NotRequired[Annotated[str, JobLifecycleStatus]]
    lifecycleStatusMessage: NotRequired[str]
    taskRunStatus: NotRequired[Annotated[str, TaskRunStatus]]
    targetTaskRunStatus: NotRequired[Annotated[str, JobTargetTaskRunStatus]]
    taskRunStatusCounts: NotRequired[dict[Annotated[str, TaskRunStatus], int]]
    taskFailureRetryCount: NotRequired[int]
    priority: NotRequired[int]
    maxFailedTasksCount: NotRequired[int]
    maxRetriesPerTask: NotRequired[int]
    createdBy: NotRequired[str]
    createdAt: NotRequired[datetime]
    endedAt: NotRequired[datetime]
    startedAt: NotRequired[datetime]
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]
    jobParameters: NotRequired[dict[str, "JobParameter"]]
    maxWorkerCount: NotRequired[int]
    sourceJobId: NotRequired[str]


class JobSummary(TypedDict):
    jobId: str
    name: str
    lifecycleStatus: Annotated[str, JobLifecycleStatus]
    lifecycleStatusMessage: str
    priority: int
    createdAt: datetime
    createdBy: str
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]
    startedAt: NotRequired[datetime]
    endedAt: NotRequired[datetime]
    taskRunStatus: NotRequired[Annotated[str, TaskRunStatus]]
    targetTaskRunStatus: NotRequired[Annotated[str, JobTargetTaskRunStatus]]
    taskRunStatusCounts: NotRequired[dict[Annotated[str, TaskRunStatus], int]]
    taskFailureRetryCount: NotRequired[int]
    maxFailedTasksCount: NotRequired[int]
    maxRetriesPerTask: NotRequired[int]
    maxWorkerCount: NotRequired[int]
    sourceJobId: NotRequired[str]


class LicenseEndpointSummary(TypedDict):
    licenseEndpointId: NotRequired[str]
    status: NotRequired[Annotated[str, LicenseEndpointStatus]]
    statusMessage: NotRequired[str]
    vpcId: NotRequired[str]


class LimitSummary(TypedDict):
    farmId: str
    limitId: str
    currentCount: int
    createdAt: datetime
    createdBy: str
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]
    displayName: str
    amountRequirementName: str
    maxCount: int


class ListAvailableMeteredProductsRequest(TypedDict):
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]


class ListAvailableMeteredProductsResponse(TypedDict):
    meteredProducts: list["MeteredProductSummary"]
    nextToken: NotRequired[str]


class ListBudgetsRequest(TypedDict):
    farmId: str
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]
    status: NotRequired[Annotated[str, BudgetStatus]]


class ListBudgetsResponse(TypedDict):
    budgets: list["BudgetSummary"]
    nextToken: NotRequired[str]


class ListFarmMembersRequest(TypedDict):
    farmId: str
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]


class ListFarmMembersResponse(TypedDict):
    members: list["FarmMember"]
    nextToken: NotRequired[str]


class ListFarmsRequest(TypedDict):
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]
    principalId: NotRequired[str]


class ListFarmsResponse(TypedDict):
    farms: list["FarmSummary"]
    nextToken: NotRequired[str]


class ListFleetMembersRequest(TypedDict):
    farmId: str
    fleetId: str
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]


class ListFleetMembersResponse(TypedDict):
    members: list["FleetMember"]
    nextToken: NotRequired[str]


class ListFleetsRequest(TypedDict):
    farmId: str
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]
    principalId: NotRequired[str]
    displayName: NotRequired[str]
    status: NotRequired[Annotated[str, FleetStatus]]


class ListFleetsResponse(TypedDict):
    fleets: list["FleetSummary"]
    nextToken: NotRequired[str]


class ListJobMembersRequest(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]


class ListJobMembersResponse(TypedDict):
    members: list["JobMember"]
    nextToken: NotRequired[str]


class ListJobParameterDefinitionsRequest(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]


class ListJobParameterDefinitionsResponse(TypedDict):
    jobParameterDefinitions: list[Any]
    nextToken: NotRequired[str]


class ListJobsRequest(TypedDict):
    farmId: str
    queueId: str
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]
    principalId: NotRequired[str]


class ListJobsResponse(TypedDict):
    jobs: list["JobSummary"]
    nextToken: NotRequired[str]


class ListLicenseEndpointsRequest(TypedDict):
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]


class ListLicenseEndpointsResponse(TypedDict):
    licenseEndpoints: list["LicenseEndpointSummary"]
    nextToken: NotRequired[str]


class ListLimitsRequest(TypedDict):
    farmId: str
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]


class ListLimitsResponse(TypedDict):
    limits: list["LimitSummary"]
    nextToken: NotRequired[str]


class ListMembershipsRequest(TypedDict):
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]
    principalId: str
    identityStoreId: NotRequired[str]
    identityCenterRegion: NotRequired[str]
    resourceTypes: NotRequired[list[Annotated[str, MembershipResourceType]]]


class ListMembershipsResponse(TypedDict):
    memberships: list["MembershipSummary"]
    nextToken: NotRequired[str]


class ListMeteredProductsRequest(TypedDict):
    licenseEndpointId: str
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]


class ListMeteredProductsResponse(TypedDict):
    meteredProducts: list["MeteredProductSummary"]
    nextToken: NotRequired[str]


class ListMonitorsRequest(TypedDict):
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]


class ListMonitorsResponse(TypedDict):
    monitors: list["MonitorSummary"]
    nextToken: NotRequired[str]


class ListQueueEnvironmentsRequest(TypedDict):
    farmId: str
    queueId: str
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]


class ListQueueEnvironmentsResponse(TypedDict):
    environments: list["QueueEnvironmentSummary"]
    nextToken: NotRequired[str]


class ListQueueFleetAssociationsRequest(TypedDict):
    farmId: str
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]
    queueId: NotRequired[str]
    fleetId: NotRequired[str]


class ListQueueFleetAssociationsResponse(TypedDict):
    queueFleetAssociations: list["QueueFleetAssociationSummary"]
    nextToken: NotRequired[str]


class ListQueueLimitAssociationsRequest(TypedDict):
    farmId: str
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]
    queueId: NotRequired[str]
    limitId: NotRequired[str]


class ListQueueLimitAssociationsResponse(TypedDict):
    queueLimitAssociations: list["QueueLimitAssociationSummary"]
    nextToken: NotRequired[str]


class ListQueueMembersRequest(TypedDict):
    farmId: str
    queueId: str
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]


class ListQueueMembersResponse(TypedDict):
    members: list["QueueMember"]
    nextToken: NotRequired[str]


class ListQueuesRequest(TypedDict):
    farmId: str
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]
    principalId: NotRequired[str]
    status: NotRequired[Annotated[str, QueueStatus]]


class ListQueuesResponse(TypedDict):
    queues: list["QueueSummary"]
    nextToken: NotRequired[str]


class ListSessionActionsRequest(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]
    sessionId: NotRequired[str]
    taskId: NotRequired[str]


class ListSessionActionsResponse(TypedDict):
    sessionActions: list["SessionActionSummary"]
    nextToken: NotRequired[str]


class ListSessionsForWorkerRequest(TypedDict):
    farmId: str
    fleetId: str
    workerId: str
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]


class ListSessionsForWorkerResponse(TypedDict):
    sessions: list["WorkerSessionSummary"]
    nextToken: NotRequired[str]


class ListSessionsRequest(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]


class ListSessionsResponse(TypedDict):
    sessions: list["SessionSummary"]
    nextToken: NotRequired[str]


class ListStepConsumersRequest(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    stepId: str
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]


class ListStepConsumersResponse(TypedDict):
    consumers: list["StepConsumer"]
    nextToken: NotRequired[str]


class ListStepDependenciesRequest(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    stepId: str
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]


class ListStepDependenciesResponse(TypedDict):
    dependencies: list["StepDependency"]
    nextToken: NotRequired[str]


class ListStepsRequest(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]


class ListStepsResponse(TypedDict):
    steps: list["StepSummary"]
    nextToken: NotRequired[str]


class ListStorageProfilesForQueueRequest(TypedDict):
    farmId: str
    queueId: str
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]


class ListStorageProfilesForQueueResponse(TypedDict):
    storageProfiles: list["StorageProfileSummary"]
    nextToken: NotRequired[str]


class ListStorageProfilesRequest(TypedDict):
    farmId: str
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]


class ListStorageProfilesResponse(TypedDict):
    storageProfiles: list["StorageProfileSummary"]
    nextToken: NotRequired[str]


class ListTagsForResourceRequest(TypedDict):
    resourceArn: str


class ListTagsForResourceResponse(TypedDict):
    tags: NotRequired[dict[str, str]]


class ListTasksRequest(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    stepId: str
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]


class ListTasksResponse(TypedDict):
    tasks: list["TaskSummary"]
    nextToken: NotRequired[str]


class ListVolumesRequest(TypedDict):
    farmId: str
    fleetId: str
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]


class ListVolumesResponse(TypedDict):
    volumes: list["VolumeSummary"]
    nextToken: NotRequired[str]


class ListWorkersRequest(TypedDict):
    farmId: str
    fleetId: str
    nextToken: NotRequired[str]
    maxResults: NotRequired[int]


class ListWorkersResponse(TypedDict):
    workers: list["WorkerSummary"]
    nextToken: NotRequired[str]


class LogConfiguration(TypedDict):
    logDriver: str
    options: NotRequired[dict[str, str]]
    parameters: NotRequired[dict[str, str]]
    error: NotRequired[str]


class ManifestProperties(TypedDict):
    fileSystemLocationName: NotRequired[str]
    rootPath: str
    rootPathFormat: Annotated[str, PathFormat]
    outputRelativeDirectories: NotRequired[list[str]]
    inputManifestPath: NotRequired[str]
    inputManifestHash: NotRequired[str]


class MembershipSummary_farm(TypedDict):
    farm: "FarmMember"


class MembershipSummary_queue(TypedDict):
    queue: "QueueMember"


class MembershipSummary_fleet(TypedDict):
    fleet: "FleetMember"


class MembershipSummary_job(TypedDict):
    job: "JobMember"


class MemoryMiBRange(TypedDict):
    min: int
    max: NotRequired[int]


class MeteredProductSummary(TypedDict):
    productId: str
    family: str
    vendor: str
    port: int


class MonitorSummary(TypedDict):
    monitorId: str
    displayName: str
    subdomain: str
    url: str
    roleArn: str
    identityCenterInstanceArn: str
    identityCenterRegion: NotRequired[str]
    identityCenterApplicationArn: str
    createdAt: datetime
    createdBy: str
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]


class ParameterFilterExpression(TypedDict):
    name: str
    operator: Annotated[str, ComparisonOperator]
    value: str


class ParameterSortExpression(TypedDict):
    sortOrder: Annotated[str, SortOrder]
    name: str


class ParameterSpace(TypedDict):
    parameters: list["StepParameter"]
    combination: NotRequired[str]


class PathMappingRule(TypedDict):
    sourcePathFormat: Annotated[str, PathFormat]
    sourcePath: str
    destinationPath: str


class PersistentVolumeConfiguration(TypedDict):
    sizeGiB: NotRequired[int]
    iops: NotRequired[int]
    throughputMiB: NotRequired[int]
    mountPath: str
    lastUsedTtlHours: NotRequired[int]


class PosixUser(TypedDict):
    user: str
    group: str


class PriorityBalancedSchedulingConfiguration(TypedDict):
    renderingTaskBuffer: NotRequired[int]


class PriorityFifoSchedulingConfiguration(TypedDict):
    pass


class PutMeteredProductRequest(TypedDict):
    licenseEndpointId: str
    productId: str


class PutMeteredProductResponse(TypedDict):
    pass


class QueueEnvironmentSummary(TypedDict):
    queueEnvironmentId: str
    name: str
    priority: int


class QueueFleetAssociationSummary(TypedDict):
    queueId: str
    fleetId: str
    status: Annotated[str, QueueFleetAssociationStatus]
    createdAt: datetime
    createdBy: str
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]


class QueueLimitAssociationSummary(TypedDict):
    queueId: str
    limitId: str
    status: Annotated[str, QueueLimitAssociationStatus]
    createdAt: datetime
    createdBy: str
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]


class QueueMember(TypedDict):
    farmId: str
    queueId: str
    principalId: str
    principalType: Annotated[str, PrincipalType]
    identityStoreId: str
    membershipLevel: Annotated[str, MembershipLevel]


class QueueSummary(TypedDict):
    farmId: str
    queueId: str
    displayName: str
    status: Annotated[str, QueueStatus]
    defaultBudgetAction: Annotated[str, DefaultQueueBudgetAction]
    blockedReason: NotRequired[Annotated[str, QueueBlockedReason]]
    createdAt: datetime
    createdBy: str
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]


class ResourceNotFoundException(TypedDict):
    message: str
    resourceId: str
    resourceType: str
    context: NotRequired[dict[str, str]]


class ResponseBudgetAction(TypedDict):
    type: Annotated[str, BudgetActionType]
    thresholdPercentage: float
    description: NotRequired[str]


class S3Location(TypedDict):
    bucketName: str
    key: str


class SchedulingConfiguration_priorityFifo(TypedDict):
    priorityFifo: "PriorityFifoSchedulingConfiguration"


class SchedulingConfiguration_priorityBalanced(TypedDict):
    priorityBalanced: "PriorityBalancedSchedulingConfiguration"


class SchedulingConfiguration_weightedBalanced(TypedDict):
    weightedBalanced: "WeightedBalancedSchedulingConfiguration"


class SchedulingMaxPriorityOverride_alwaysScheduleFirst(TypedDict):
    alwaysScheduleFirst: "SchedulingMaxPriorityOverrideAlwaysScheduleFirst"


class SchedulingMaxPriorityOverrideAlwaysScheduleFirst(TypedDict):
    pass


class SchedulingMinPriorityOverride_alwaysScheduleLast(TypedDict):
    alwaysScheduleLast: "SchedulingMinPriorityOverrideAlwaysScheduleLast"


class SchedulingMinPriorityOverrideAlwaysScheduleLast(TypedDict):
    pass


class SearchFilterExpression_dateTimeFilter(TypedDict):
    dateTimeFilter: "DateTimeFilterExpression"


class SearchFilterExpression_parameterFilter(TypedDict):
    parameterFilter: "ParameterFilterExpression"


class SearchFilterExpression_searchTermFilter(TypedDict):
    searchTermFilter: "SearchTermFilterExpression"


class SearchFilterExpression_stringFilter(TypedDict):
    stringFilter: "StringFilterExpression"


class SearchFilterExpression_stringListFilter(TypedDict):
    stringListFilter: "StringListFilterExpression"


class SearchFilterExpression_groupFilter(TypedDict):
    groupFilter: "SearchGroupedFilterExpressions"


class SearchGroupedFilterExpressions(TypedDict):
    filters: list["SearchFilterExpression"]
    operator: Annotated[str, LogicalOperator]


class SearchJobsRequest(TypedDict):
    farmId: str
    filterExpressions: NotRequired["SearchGroupedFilterExpressions"]
    sortExpressions: NotRequired[list["SearchSortExpression"]]
    itemOffset: int
    pageSize: NotRequired[int]
    queueIds: list[str]


class SearchJobsResponse(TypedDict):
    jobs: list["JobSearchSummary"]
    nextItemOffset: NotRequired[int]
    totalResults: int


class SearchSortExpression_userJobsFirst(TypedDict):
    userJobsFirst: "UserJobsFirst"


class SearchSortExpression_fieldSort(TypedDict):
    fieldSort: "FieldSortExpression"


class SearchSortExpression_parameterSort(TypedDict):
    parameterSort: "ParameterSortExpression"


class SearchStepsRequest(TypedDict):
    farmId: str
    filterExpressions: NotRequired["SearchGroupedFilterExpressions"]
    sortExpressions: NotRequired[list["SearchSortExpression"]]
    itemOffset: int
    pageSize: NotRequired[int]
    queueIds: list[str]
    jobId: NotRequired[str]


class SearchStepsResponse(TypedDict):
    steps: list["StepSearchSummary"]
    nextItemOffset: NotRequired[int]
    totalResults: int


class SearchTasksRequest(TypedDict):
    farmId: str
    filterExpressions: NotRequired["SearchGroupedFilterExpressions"]
    sortExpressions: NotRequired[list["SearchSortExpression"]]
    itemOffset: int
    pageSize: NotRequired[int]
    queueIds: list[str]
    jobId: NotRequired[str]


class SearchTasksResponse(TypedDict):
    tasks: list["TaskSearchSummary"]
    nextItemOffset: NotRequired[int]
    totalResults: int


class SearchTermFilterExpression(TypedDict):
    searchTerm: str
    matchType: NotRequired[Annotated[str, SearchTermMatchingType]]


class SearchWorkersRequest(TypedDict):
    farmId: str
    filterExpressions: NotRequired["SearchGroupedFilterExpressions"]
    sortExpressions: NotRequired[list["SearchSortExpression"]]
    itemOffset: int
    pageSize: NotRequired[int]
    fleetIds: list[str]


class SearchWorkersResponse(TypedDict):
    workers: list["WorkerSearchSummary"]
    nextItemOffset: NotRequired[int]
    totalResults: int


class ServiceManagedEc2AutoScalingConfiguration(TypedDict):
    standbyWorkerCount: NotRequired[int]
    workerIdleDurationSeconds: NotRequired[int]
    scaleOutWorkersPerMinute: NotRequired[int]


class ServiceManagedEc2FleetConfiguration(TypedDict):
    instanceCapabilities: "ServiceManagedEc2InstanceCapabilities"
    instanceMarketOptions: "ServiceManagedEc2InstanceMarketOptions"
    vpcConfiguration: NotRequired["VpcConfiguration"]
    storageProfileId: NotRequired[str]
    persistentVolumeConfiguration: NotRequired["PersistentVolumeConfiguration"]
    autoScalingConfiguration: NotRequired["ServiceManagedEc2AutoScalingConfiguration"]


class ServiceManagedEc2InstanceCapabilities(TypedDict):
    vCpuCount: "VCpuCountRange"
    memoryMiB: "MemoryMiBRange"
    osFamily: Annotated[str, ServiceManagedFleetOperatingSystemFamily]
    cpuArchitectureType: Annotated[str, CpuArchitectureType]
    rootEbsVolume: NotRequired["Ec2EbsVolume"]
    acceleratorCapabilities: NotRequired["AcceleratorCapabilities"]
    allowedInstanceTypes: NotRequired[list[str]]
    excludedInstanceTypes: NotRequired[list[str]]
    customAmounts: NotRequired[list["FleetAmountCapability"]]
    customAttributes: NotRequired[list["FleetAttributeCapability"]]
    softwareAddOns: NotRequired[list["FleetSoftwareAddOn"]]


class ServiceManagedEc2InstanceMarketOptions(TypedDict):
    type: Annotated[str, Ec2MarketType]


class ServiceQuotaExceededException(TypedDict):
    message: str
    reason: Annotated[str, ServiceQuotaExceededExceptionReason]
    resourceType: str
    serviceCode: str
    quotaCode: str
    resourceId: NotRequired[str]
    context: NotRequired[dict[str, str]]


class SessionActionDefinition_envEnter(TypedDict):
    envEnter: "EnvironmentEnterSessionActionDefinition"


class SessionActionDefinition_envExit(TypedDict):
    envExit: "EnvironmentExitSessionActionDefinition"


class SessionActionDefinition_taskRun(TypedDict):
    taskRun: "TaskRunSessionActionDefinition"


class SessionActionDefinition_syncInputJobAttachments(TypedDict):
    syncInputJobAttachments: "SyncInputJobAttachmentsSessionActionDefinition"


class SessionActionDefinitionSummary_envEnter(TypedDict):
    envEnter: "EnvironmentEnterSessionActionDefinitionSummary"


class SessionActionDefinitionSummary_envExit(TypedDict):
    envExit: "EnvironmentExitSessionActionDefinitionSummary"


class SessionActionDefinitionSummary_taskRun(TypedDict):
    taskRun: "TaskRunSessionActionDefinitionSummary"


class SessionActionDefinitionSummary_syncInputJobAttachments(TypedDict):
    syncInputJobAttachments: "SyncInputJobAttachmentsSessionActionDefinitionSummary"


class SessionActionSummary(TypedDict):
    sessionActionId: str
    status: Annotated[str, SessionActionStatus]
    startedAt: NotRequired[datetime]
    endedAt: NotRequired[datetime]
    workerUpdatedAt: NotRequired[datetime]
    progressPercent: NotRequired[float]
    manifests: NotRequired[list["TaskRunManifestPropertiesResponse"]]
    definition: "SessionActionDefinitionSummary"


class SessionSummary(TypedDict):
    sessionId: str
    fleetId: str
    workerId: str
    startedAt: datetime
    lifecycleStatus: Annotated[str, SessionLifecycleStatus]
    endedAt: NotRequired[datetime]
    targetLifecycleStatus: NotRequired[Annotated[str, SessionLifecycleTargetStatus]]
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]


class SessionsStatisticsResources_queueIds(TypedDict):
    queueIds: list[str]


class SessionsStatisticsResources_fleetIds(TypedDict):
    fleetIds: list[str]


class StartSessionsStatisticsAggregationRequest(TypedDict):
    farmId: str
    resourceIds: "SessionsStatisticsResources"
    startTime: datetime
    endTime: datetime
    timezone: NotRequired[str]
    period: NotRequired[Annotated[str, Period]]
    groupBy: list[Annotated[str, UsageGroupByField]]
    statistics: list[Annotated[str, UsageStatistic]]


class StartSessionsStatisticsAggregationResponse(TypedDict):
    aggregationId: str


class Statistics(TypedDict):
    queueId: NotRequired[str]
    fleetId: NotRequired[str]
    jobId: NotRequired[str]
    jobName: NotRequired[str]
    userId: NotRequired[str]
    usageType: NotRequired[Annotated[str, UsageType]]
    licenseProduct: NotRequired[str]
    instanceType: NotRequired[str]
    count: int
    costInUsd: "Stats"
    runtimeInSeconds: "Stats"
    aggregationStartTime: NotRequired[datetime]
    aggregationEndTime: NotRequired[datetime]


class Stats(TypedDict):
    min: NotRequired[float]
    max: NotRequired[float]
    avg: NotRequired[float]
    sum: NotRequired[float]


class StepAmountCapability(TypedDict):
    name: str
    min: NotRequired[float]
    max: NotRequired[float]
    value: NotRequired[float]


class StepAttributeCapability(TypedDict):
    name: str
    anyOf: NotRequired[list[str]]
    allOf: NotRequired[list[str]]


class StepConsumer(TypedDict):
    stepId: str
    status: Annotated[str, DependencyConsumerResolutionStatus]


class StepDependency(TypedDict):
    stepId: str
    status: Annotated[str, DependencyConsumerResolutionStatus]


class StepDetailsEntity(TypedDict):
    jobId: str
    stepId: str
    schemaVersion: str
    template: Any
    dependencies: list[str]
    extensions: NotRequired[list[str]]
    resolvedSymbolTable: NotRequired[str]


class StepDetailsError(TypedDict):
    jobId: str
    stepId: str
    code: Annotated[str, JobEntityErrorCode]
    message: str


class StepDetailsIdentifiers(TypedDict):
    jobId: str
    stepId: str


class StepParameter(TypedDict):
    name: str
    type: Annotated[str, StepParameterType]
    chunks: NotRequired["StepParameterChunks"]


class StepParameterChunks(TypedDict):
    defaultTaskCount: int
    targetRuntimeSeconds: NotRequired[int]
    rangeConstraint: Annotated[str, RangeConstraint]


class StepRequiredCapabilities(TypedDict):
    attributes: list["StepAttributeCapability"]
    amounts: list["StepAmountCapability"]


class StepSearchSummary(TypedDict):
    stepId: NotRequired[str]
    jobId: NotRequired[str]
    queueId: NotRequired[str]
    name: NotRequired[str]
    lifecycleStatus: NotRequired[Annotated[str, StepLifecycleStatus]]
    lifecycleStatusMessage: NotRequired[str]
    taskRunStatus: NotRequired[Annotated[str, TaskRunStatus]]
    targetTaskRunStatus: NotRequired[Annotated[str, StepTargetTaskRunStatus]]
    taskRunStatusCounts: NotRequired[dict[Annotated[str, TaskRunStatus], int]]
    taskFailureRetryCount: NotRequired[int]
    createdAt: NotRequired[datetime]
    createdBy: NotRequired[str]
    startedAt: NotRequired[datetime]
    endedAt: NotRequired[datetime]
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]
    parameterSpace: NotRequired["ParameterSpace"]


class StepSummary(TypedDict):
    stepId: str
    name: str
    lifecycleStatus: Annotated[str, StepLifecycleStatus]
    lifecycleStatusMessage: NotRequired[str]
    taskRunStatus: Annotated[str, TaskRunStatus]
    taskRunStatusCounts: dict[Annotated[str, TaskRunStatus], int]
    taskFailureRetryCount: NotRequired[int]
    targetTaskRunStatus: NotRequired[Annotated[str, StepTargetTaskRunStatus]]
    createdAt: datetime
    createdBy: str
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]
    startedAt: NotRequired[datetime]
    endedAt: NotRequired[datetime]
    dependencyCounts: NotRequired["DependencyCounts"]


class StorageProfileSummary(TypedDict):
    storageProfileId: str
    displayName: str
    osFamily: Annotated[str, StorageProfileOperatingSystemFamily]


class StringFilterExpression(TypedDict):
    name: str
    operator: Annotated[str, ComparisonOperator]
    value: str


class StringListFilterExpression(TypedDict):
    name: str
    operator: Annotated[str, ComparisonOperator]
    values: list[str]


class SyncInputJobAttachmentsSessionActionDefinition(TypedDict):
    stepId: NotRequired[str]


class SyncInputJobAttachmentsSessionActionDefinitionSummary(TypedDict):
    stepId: NotRequired[str]


class TagResourceRequest(TypedDict):
    resourceArn: str
    tags: NotRequired[dict[str, str]]


class TagResourceResponse(TypedDict):
    pass


class TaskParameterValue_int(TypedDict):
    int: str


class TaskParameterValue_float(TypedDict):
    float: str


class TaskParameterValue_string(TypedDict):
    string: str


class TaskParameterValue_path(TypedDict):
    path: str


class TaskParameterValue_chunkInt(TypedDict):
    chunkInt: str


class TaskRunManifestPropertiesRequest(TypedDict):
    outputManifestPath: NotRequired[str]
    outputManifestHash: NotRequired[str]


class TaskRunManifestPropertiesResponse(TypedDict):
    outputManifestPath: NotRequired[str]
    outputManifestHash: NotRequired[str]


class TaskRunSessionActionDefinition(TypedDict):
    taskId: NotRequired[str]
    stepId: str
    parameters: dict[str, "TaskParameterValue"]


class TaskRunSessionActionDefinitionSummary(TypedDict):
    taskId: NotRequired[str]
    stepId: str
    parameters: NotRequired[dict[str, "TaskParameterValue"]]


class TaskSearchSummary(TypedDict):
    taskId: NotRequired[str]
    stepId: NotRequired[str]
    jobId: NotRequired[str]
    queueId: NotRequired[str]
    runStatus: NotRequired[Annotated[str, TaskRunStatus]]
    targetRunStatus: NotRequired[Annotated[str, TaskTargetRunStatus]]
    parameters: NotRequired[dict[str, "TaskParameterValue"]]
    failureRetryCount: NotRequired[int]
    startedAt: NotRequired[datetime]
    endedAt: NotRequired[datetime]
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]
    latestSessionActionId: NotRequired[str]


class TaskSummary(TypedDict):
    taskId: str
    createdAt: datetime
    createdBy: str
    runStatus: Annotated[str, TaskRunStatus]
    targetRunStatus: NotRequired[Annotated[str, TaskTargetRunStatus]]
    failureRetryCount: NotRequired[int]
    startedAt: NotRequired[datetime]
    endedAt: NotRequired[datetime]
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]
    latestSessionActionId: NotRequired[str]
    parameters: NotRequired[dict[str, "TaskParameterValue"]]


class ThrottlingException(TypedDict):
    message: str
    serviceCode: NotRequired[str]
    quotaCode: NotRequired[str]
    retryAfterSeconds: NotRequired[int]
    context: NotRequired[dict[str, str]]


class UntagResourceRequest(TypedDict):
    resourceArn: str
    tagKeys: list[str]


class UntagResourceResponse(TypedDict):
    pass


class UpdateBudgetRequest(TypedDict):
    farmId: str
    budgetId: str
    clientToken: NotRequired[str]
    displayName: NotRequired[str]
    description: NotRequired[str]
    status: NotRequired[Annotated[str, BudgetStatus]]
    approximateDollarLimit: NotRequired[float]
    actionsToAdd: NotRequired[list["BudgetActionToAdd"]]
    actionsToRemove: NotRequired[list["BudgetActionToRemove"]]
    schedule: NotRequired["BudgetSchedule"]


class UpdateBudgetResponse(TypedDict):
    pass


class UpdateFarmRequest(TypedDict):
    farmId: str
    displayName: NotRequired[str]
    description: NotRequired[str]
    costScaleFactor: NotRequired[float]


class UpdateFarmResponse(TypedDict):
    pass


class UpdateFleetRequest(TypedDict):
    farmId: str
    fleetId: str
    clientToken: NotRequired[str]
    displayName: NotRequired[str]
    description: NotRequired[str]
    roleArn: NotRequired[str]
    minWorkerCount: NotRequired[int]
    maxWorkerCount: NotRequired[int]
    configuration: NotRequired["FleetConfiguration"]
    hostConfiguration: NotRequired["HostConfiguration"]


class UpdateFleetResponse(TypedDict):
    pass


class UpdateJobRequest(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    clientToken: NotRequired[str]
    targetTaskRunStatus: NotRequired[Annotated[str, JobTargetTaskRunStatus]]
    priority: NotRequired[int]
    maxFailedTasksCount: NotRequired[int]
    maxRetriesPerTask: NotRequired[int]
    lifecycleStatus: NotRequired[Annotated[str, UpdateJobLifecycleStatus]]
    maxWorkerCount: NotRequired[int]
    name: NotRequired[str]
    description: NotRequired[str]


class UpdateJobResponse(TypedDict):
    pass


class UpdateLimitRequest(TypedDict):
    farmId: str
    limitId: str
    displayName: NotRequired[str]
    description: NotRequired[str]
    maxCount: NotRequired[int]


class UpdateLimitResponse(TypedDict):
    pass


class UpdateMonitorRequest(TypedDict):
    monitorId: str
    subdomain: NotRequired[str]
    displayName: NotRequired[str]
    roleArn: NotRequired[str]


class UpdateMonitorResponse(TypedDict):
    pass


class UpdateMonitorSettingsRequest(TypedDict):
    monitorId: str
    settings: dict[str, str]


class UpdateMonitorSettingsResponse(TypedDict):
    pass


class UpdateQueueEnvironmentRequest(TypedDict):
    farmId: str
    queueId: str
    queueEnvironmentId: str
    clientToken: NotRequired[str]
    priority: NotRequired[int]
    templateType: NotRequired[Annotated[str, EnvironmentTemplateType]]
    template: NotRequired[str]


class UpdateQueueEnvironmentResponse(TypedDict):
    pass


class UpdateQueueFleetAssociationRequest(TypedDict):
    farmId: str
    queueId: str
    fleetId: str
    status: Annotated[str, UpdateQueueFleetAssociationStatus]


class UpdateQueueFleetAssociationResponse(TypedDict):
    pass


class UpdateQueueLimitAssociationRequest(TypedDict):
    farmId: str
    queueId: str
    limitId: str
    status: Annotated[str, UpdateQueueLimitAssociationStatus]


class UpdateQueueLimitAssociationResponse(TypedDict):
    pass


class UpdateQueueRequest(TypedDict):
    farmId: str
    queueId: str
    clientToken: NotRequired[str]
    displayName: NotRequired[str]
    description: NotRequired[str]
    defaultBudgetAction: NotRequired[Annotated[str, DefaultQueueBudgetAction]]
    jobAttachmentSettings: NotRequired["JobAttachmentSettings"]
    roleArn: NotRequired[str]
    jobRunAsUser: NotRequired["JobRunAsUser"]
    requiredFileSystemLocationNamesToAdd: NotRequired[list[str]]
    requiredFileSystemLocationNamesToRemove: NotRequired[list[str]]
    allowedStorageProfileIdsToAdd: NotRequired[list[str]]
    allowedStorageProfileIdsToRemove: NotRequired[list[str]]
    schedulingConfiguration: NotRequired["SchedulingConfiguration"]


class UpdateQueueResponse(TypedDict):
    pass


class UpdateSessionRequest(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    sessionId: str
    clientToken: NotRequired[str]
    targetLifecycleStatus: Annotated[str, SessionLifecycleTargetStatus]


class UpdateSessionResponse(TypedDict):
    pass


class UpdateStepRequest(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    stepId: str
    clientToken: NotRequired[str]
    targetTaskRunStatus: Annotated[str, StepTargetTaskRunStatus]


class UpdateStepResponse(TypedDict):
    pass


class UpdateStorageProfileRequest(TypedDict):
    farmId: str
    storageProfileId: str
    clientToken: NotRequired[str]
    displayName: NotRequired[str]
    osFamily: NotRequired[Annotated[str, StorageProfileOperatingSystemFamily]]
    fileSystemLocationsToAdd: NotRequired[list["FileSystemLocation"]]
    fileSystemLocationsToRemove: NotRequired[list["FileSystemLocation"]]


class UpdateStorageProfileResponse(TypedDict):
    pass


class UpdateTaskRequest(TypedDict):
    farmId: str
    queueId: str
    jobId: str
    stepId: str
    taskId: str
    clientToken: NotRequired[str]
    targetRunStatus: Annotated[str, TaskTargetRunStatus]


class UpdateTaskResponse(TypedDict):
    pass


class UpdateWorkerRequest(TypedDict):
    farmId: str
    fleetId: str
    workerId: str
    status: NotRequired[Annotated[str, UpdatedWorkerStatus]]
    capabilities: NotRequired["WorkerCapabilities"]
    hostProperties: NotRequired["HostPropertiesRequest"]


class UpdateWorkerResponse(TypedDict):
    log: NotRequired["LogConfiguration"]
    hostConfiguration: NotRequired["HostConfiguration"]


class UpdateWorkerScheduleRequest(TypedDict):
    farmId: str
    fleetId: str
    workerId: str
    updatedSessionActions: NotRequired[dict[str, "UpdatedSessionActionInfo"]]


class UpdateWorkerScheduleResponse(TypedDict):
    assignedSessions: dict[str, "AssignedSession"]
    cancelSessionActions: dict[str, list[str]]
    desiredWorkerStatus: NotRequired[Annotated[str, DesiredWorkerStatus]]
    updateIntervalSeconds: int


class UpdatedSessionActionInfo(TypedDict):
    completedStatus: NotRequired[Annotated[str, CompletedStatus]]
    processExitCode: NotRequired[int]
    progressMessage: NotRequired[str]
    startedAt: NotRequired[datetime]
    endedAt: NotRequired[datetime]
    updatedAt: NotRequired[datetime]
    progressPercent: NotRequired[float]
    manifests: NotRequired[list["TaskRunManifestPropertiesRequest"]]


class UsageTrackingResource_queueId(TypedDict):
    queueId: str


class UserJobsFirst(TypedDict):
    userIdentityId: str


class VCpuCountRange(TypedDict):
    min: int
    max: NotRequired[int]


class ValidationException(TypedDict):
    message: str
    reason: Annotated[str, ValidationExceptionReason]
    fieldList: NotRequired[list["ValidationExceptionField"]]
    context: NotRequired[dict[str, str]]


class ValidationExceptionField(TypedDict):
    name: str
    message: str


class VolumeSummary(TypedDict):
    volumeId: str
    farmId: str
    fleetId: str
    state: Annotated[str, VolumeState]
    sizeGiB: int
    availabilityZoneId: str
    attachedWorkerId: NotRequired[str]


class VpcConfiguration(TypedDict):
    resourceConfigurationArns: NotRequired[list[str]]


class WeightedBalancedSchedulingConfiguration(TypedDict):
    priorityWeight: NotRequired[float]
    errorWeight: NotRequired[float]
    submissionTimeWeight: NotRequired[float]
    renderingTaskWeight: NotRequired[float]
    renderingTaskBuffer: NotRequired[int]
    maxPriorityOverride: NotRequired["SchedulingMaxPriorityOverride"]
    minPriorityOverride: NotRequired["SchedulingMinPriorityOverride"]


class WindowsUser(TypedDict):
    user: str
    passwordArn: str


class WorkerAmountCapability(TypedDict):
    name: str
    value: float


class WorkerAttributeCapability(TypedDict):
    name: str
    values: list[str]


class WorkerCapabilities(TypedDict):
    amounts: list["WorkerAmountCapability"]
    attributes: list["WorkerAttributeCapability"]


class WorkerSearchSummary(TypedDict):
    fleetId: NotRequired[str]
    workerId: NotRequired[str]
    status: NotRequired[Annotated[str, WorkerStatus]]
    hostProperties: NotRequired["HostPropertiesResponse"]
    createdBy: NotRequired[str]
    createdAt: NotRequired[datetime]
    updatedBy: NotRequired[str]
    updatedAt: NotRequired[datetime]


class WorkerSessionSummary(TypedDict):
    sessionId: str
    queueId: str
    jobId: str
    startedAt: datetime
    lifecycleStatus: Annotated[str, SessionLifecycleStatus]
    endedAt: NotRequired[datetime]
    targetLifecycleStatus: NotRequired[Annotated[str, SessionLifecycleTargetStatus]]


class WorkerSummary(TypedDict):
    farmId: str
    fleetId: str
    workerId: str
    hostProperties: NotRequired["HostPropertiesResponse"]
    status: Annotated[str, WorkerStatus]
    log: NotRequired["LogConfiguration"]
    createdAt: datetime
    createdBy: str
    updatedAt: NotRequired[datetime]
    updatedBy: NotRequired[str]


# --- unions: exactly one member is set -------------------------------------------------------------------------

AssignedSessionActionDefinition: TypeAlias = (
    AssignedSessionActionDefinition_envEnter
    | AssignedSessionActionDefinition_envExit
    | AssignedSessionActionDefinition_taskRun
    | AssignedSessionActionDefinition_syncInputJobAttachments
)
BudgetSchedule: TypeAlias = BudgetSchedule_fixed
FleetConfiguration: TypeAlias = FleetConfiguration_customerManaged | FleetConfiguration_serviceManagedEc2
GetJobEntityError: TypeAlias = (
    GetJobEntityError_jobDetails
    | GetJobEntityError_jobAttachmentDetails
    | GetJobEntityError_stepDetails
    | GetJobEntityError_environmentDetails
)
JobEntity: TypeAlias = (
    JobEntity_jobDetails
    | JobEntity_jobAttachmentDetails
    | JobEntity_stepDetails
    | JobEntity_environmentDetails
)
JobEntityIdentifiersUnion: TypeAlias = (
    JobEntityIdentifiersUnion_jobDetails
    | JobEntityIdentifiersUnion_jobAttachmentDetails
    | JobEntityIdentifiersUnion_stepDetails
    | JobEntityIdentifiersUnion_environmentDetails
)
JobParameter: TypeAlias = (
    JobParameter_int
    | JobParameter_float
    | JobParameter_string
    | JobParameter_path
    | JobParameter_bool
    | JobParameter_rangeExpr
    | JobParameter_stringList
    | JobParameter_pathList
    | JobParameter_intList
    | JobParameter_floatList
    | JobParameter_boolList
    | JobParameter_intListList
)
MembershipSummary: TypeAlias = (
    MembershipSummary_farm
    | MembershipSummary_queue
    | MembershipSummary_fleet
    | MembershipSummary_job
)
SchedulingConfiguration: TypeAlias = (
    SchedulingConfiguration_priorityFifo
    | SchedulingConfiguration_priorityBalanced
    | SchedulingConfiguration_weightedBalanced
)
SchedulingMaxPriorityOverride: TypeAlias = SchedulingMaxPriorityOverride_alwaysScheduleFirst
SchedulingMinPriorityOverride: TypeAlias = SchedulingMinPriorityOverride_alwaysScheduleLast
SearchFilterExpression: TypeAlias = (
    SearchFilterExpression_dateTimeFilter
    | SearchFilterExpression_parameterFilter
    | SearchFilterExpression_searchTermFilter
    | SearchFilterExpression_stringFilter
    | SearchFilterExpression_stringListFilter
    | SearchFilterExpression_groupFilter
)
SearchSortExpression: TypeAlias = (
    SearchSortExpression_userJobsFirst
    | SearchSortExpression_fieldSort
    | SearchSortExpression_parameterSort
)
SessionActionDefinition: TypeAlias = (
    SessionActionDefinition_envEnter
    | SessionActionDefinition_envExit
    | SessionActionDefinition_taskRun
    | SessionActionDefinition_syncInputJobAttachments
)
SessionActionDefinitionSummary: TypeAlias = (
    SessionActionDefinitionSummary_envEnter
    | SessionActionDefinitionSummary_envExit
    | SessionActionDefinitionSummary_taskRun
    | SessionActionDefinitionSummary_syncInputJobAttachments
)
SessionsStatisticsResources: TypeAlias = SessionsStatisticsResources_queueIds | SessionsStatisticsResources_fleetIds
TaskParameterValue: TypeAlias = (
    TaskParameterValue_int
    | TaskParameterValue_float
    | TaskParameterValue_string
    | TaskParameterValue_path
    | TaskParameterValue_chunkInt
)
UsageTrackingResource: TypeAlias = UsageTrackingResource_queueId
